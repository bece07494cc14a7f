# The ctest dashboard.bundle_is_fresh: the committed bundle dashboard/dist/ must be what esbuild
# made from dashboard/src/ in this build tree.
#   cmake -DCOMMITTED=<dashboard/dist> -DWORK=<build/dashboard> -P check_dashboard_fresh.cmake
# Skipped (ctest SKIP_REGULAR_EXPRESSION "^SKIP:") only when this build could not build it from
# source (cmake/build_dashboard.cmake left WORK/source-build-failed.txt); fails when it could and
# the bytes differ.
if(EXISTS ${WORK}/source-build-failed.txt)
  file(READ ${WORK}/source-build-failed.txt reason)
  message("SKIP: the build could not build the dashboard from source, so there is nothing to "
          "compare dashboard/dist/ with. Reason: ${reason}")
  return()
endif()
if(NOT EXISTS ${WORK}/dist/index.html)
  message(FATAL_ERROR "FAIL: ${WORK}/dist/ is not built: build the trunkguard target first")
endif()
file(GLOB committed RELATIVE ${COMMITTED} ${COMMITTED}/*)
file(GLOB built RELATIVE ${WORK}/dist ${WORK}/dist/*)
if(NOT committed STREQUAL built)
  list(APPEND stale "the file lists (committed: ${committed}; built: ${built})")
endif()
foreach(name ${committed})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${COMMITTED}/${name}
                          ${WORK}/dist/${name} RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    list(APPEND stale ${name})
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "FAIL: dashboard/dist/ is not what esbuild makes from dashboard/src/ "
                      "(${stale}): run `make dashboard` and commit dashboard/dist/")
endif()
message("dashboard/dist/ is what esbuild makes from dashboard/src/")
