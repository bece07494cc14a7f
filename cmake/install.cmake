# Where `cmake --install` and the Debian package (cmake/package.cmake) put trunkguard: the layout of
# a system service (docs/operations.md).

# The unit file names /usr/bin/trunkguard, so the default prefix is /usr rather than /usr/local.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()
include(GNUInstallDirs)
# Installing (and cpack, ctest's package.deb) must not build every test and benchmark first:
# `make deb` builds what the package holds.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# The unit, the maintainer scripts and the docs name these two: they do not follow the prefix.
set(TG_CONFIG_DIR /etc/trunkguard)
set(TG_STATE_DIR /var/lib/trunkguard)
set(TG_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/trunkguard)
# Debian 12's systemd reads packaged units from /lib/systemd/system.
set(TG_UNIT_DIR /lib/systemd/system CACHE PATH "Where the systemd unit is installed")

install(TARGETS trunkguard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The safe default configuration: loopback listeners, TLS to providers, the call policy on.
install(FILES ${CMAKE_SOURCE_DIR}/packaging/trunkguard.yaml DESTINATION ${TG_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/trunkguard.service DESTINATION ${TG_UNIT_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/trunkguard.logrotate
        DESTINATION /etc/logrotate.d RENAME trunkguard
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# The state folder; its owner (the trunkguard system user) and mode 0750 are set by the
# package's postinst, since the user exists only on the target machine.
install(DIRECTORY DESTINATION ${TG_STATE_DIR})

# Documentation and the example configurations.
file(GLOB TG_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${TG_DOCS} DESTINATION ${TG_DOC_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/config/trunkguard.example.yaml
        DESTINATION ${TG_DOC_DIR}/examples)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/examples/ DESTINATION ${TG_DOC_DIR}/examples)

# trunkguard(1), from the CLI's own help (help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(TG_MANPAGE ${CMAKE_BINARY_DIR}/man/trunkguard.1.gz)
  add_custom_command(
    OUTPUT ${TG_MANPAGE}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/make-manpage.sh $<TARGET_FILE:trunkguard>
            ${CMAKE_BINARY_DIR}/man/trunkguard.1
    COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/man/trunkguard.1
    DEPENDS trunkguard ${CMAKE_SOURCE_DIR}/scripts/make-manpage.sh
    COMMENT "Writing trunkguard(1) from the CLI help")
  add_custom_target(manpage ALL DEPENDS ${TG_MANPAGE})
  install(FILES ${TG_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
endif()
