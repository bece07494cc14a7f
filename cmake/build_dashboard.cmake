# Builds the dashboard from dashboard/src/ into the build tree, or falls back to the committed
# bundle dashboard/dist/ when that is impossible (no registry for `npm ci`, esbuild failing), so
# a build never fails because of the npm registry. Run at build time by src/CMakeLists.txt:
#   cmake -DNODE=<node> -DNPM=<npm> -DSRC=<dashboard/> -DWORK=<build/dashboard/>
#         -P build_dashboard.cmake
# Writes WORK/dist/; after a fallback also WORK/source-build-failed.txt (the reason), which the
# ctest dashboard.bundle_is_fresh and the browser test read to skip rather than fail.
foreach(var NODE NPM SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_dashboard.cmake: set NODE, NPM, SRC and WORK")
  endif()
endforeach()

set(marker ${WORK}/source-build-failed.txt)
file(REMOVE ${marker})
file(MAKE_DIRECTORY ${WORK})
set(reason "")

# npm ci only when the lock file changed since the last successful install (it is slow, and
# without a registry it fails only after its retries).
if(NOT EXISTS ${WORK}/node_modules/.package-lock.json
   OR ${SRC}/package-lock.json IS_NEWER_THAN ${WORK}/node_modules/.package-lock.json)
  file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${WORK})
  execute_process(
    COMMAND ${NPM} ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error
            --fetch-retries=1
    WORKING_DIRECTORY ${WORK}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out
    TIMEOUT 600)
  if(NOT rc EQUAL 0)
    set(reason "`npm ci` failed (${rc}):\n${out}")
  endif()
endif()

if(reason STREQUAL "")
  file(REMOVE_RECURSE ${WORK}/dist)
  execute_process(
    COMMAND ${NODE} ${SRC}/build.mjs --modules ${WORK}/node_modules --outdir ${WORK}/dist
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out
    TIMEOUT 300)
  if(NOT rc EQUAL 0)
    set(reason "esbuild (node dashboard/build.mjs) failed (${rc}):\n${out}")
  endif()
endif()

if(NOT reason STREQUAL "")
  string(SUBSTRING "${reason}" 0 800 reason) # npm's first lines say why; the rest is a trace
  string(REGEX REPLACE "\n+" "\n" reason "${reason}")
  file(REMOVE_RECURSE ${WORK}/dist)
  file(COPY ${SRC}/dist/ DESTINATION ${WORK}/dist)
  # file(COPY) keeps the committed files' times: newer ones tell the build this step is done.
  file(GLOB copied ${WORK}/dist/*)
  file(TOUCH ${copied})
  file(WRITE ${marker} "${reason}")
  message(WARNING "dashboard: could not build it from dashboard/src/, so the committed bundle "
                  "dashboard/dist/ is embedded instead (ctest dashboard.bundle_is_fresh will be "
                  "skipped; delete ${WORK} to retry). Reason: ${reason}")
endif()
