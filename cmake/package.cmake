# `make deb`: a Debian package of the install layout (cmake/install.cmake) through CPack's DEB
# generator, with dependencies from dpkg-shlibdeps and the maintainer scripts in
# packaging/debian/. docs/operations.md tells what they do on install, upgrade and purge.

set(TG_DEB_RELEASE 1)
set(TG_DEB_VERSION ${PROJECT_VERSION}-${TG_DEB_RELEASE})
set(TG_DEB_MAINTAINER "trunkguard maintainers <maintainers@users.noreply.r-seed-27200e41.example>")

# Debian wants a copyright file and a compressed changelog in the package's doc folder.
configure_file(${CMAKE_SOURCE_DIR}/packaging/debian/changelog.in
               ${CMAKE_BINARY_DIR}/debian/changelog.Debian @ONLY)
set(TG_DEB_CHANGELOG ${CMAKE_BINARY_DIR}/debian/changelog.Debian.gz)
add_custom_command(OUTPUT ${TG_DEB_CHANGELOG}
                   COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/debian/changelog.Debian > ${TG_DEB_CHANGELOG}
                   DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog.Debian)
add_custom_target(deb-changelog ALL DEPENDS ${TG_DEB_CHANGELOG})
install(FILES ${TG_DEB_CHANGELOG} ${CMAKE_SOURCE_DIR}/packaging/debian/copyright
        DESTINATION ${TG_DOC_DIR} OPTIONAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME trunkguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TG_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SIP trunk security gateway")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TG_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TG_DEB_MAINTAINER}")
# CPack writes the summary line itself and indents these lines; an empty line becomes " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "trunkguard sits between a company's PBX and its SIP trunk providers as a
back-to-back user agent and stops scanners, password guessing, floods, toll
fraud, caller-ID spoofing and eavesdropping, while legitimate calls go through.

This package runs it as a sandboxed systemd service under its own user.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)
