# Installing and packaging newsd as a service.
#
#   cmake --install build                      /usr/bin/newsd, /etc/newsd/newsd.toml,
#                                              /etc/newsd/templates/, the systemd unit
#   DESTDIR=/tmp/root cmake --install build    the same under a staging root
#   cd build && cpack -G DEB                   newsd_VERSION_ARCH.deb, Debian dependencies declared
#
# A daemon's files belong to /usr and /etc, so the default prefix is /usr
# (GNUInstallDirs then puts the configuration in /etc); -DCMAKE_INSTALL_PREFIX
# or `cmake --install --prefix` choose another.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "/usr" CACHE PATH "Install prefix" FORCE)
endif()
include(GNUInstallDirs)

set(NEWSD_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/newsd")
set(NEWSD_UNIT_DIR "lib/systemd/system")  # /usr/lib/systemd/system

# The binary (install(TARGETS newsd) lives in daemon/CMakeLists.txt).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/etc/newsd.toml
        DESTINATION ${NEWSD_CONFIG_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/templates/
        DESTINATION ${NEWSD_CONFIG_DIR}/templates
        FILES_MATCHING PATTERN "*.toml"
        PATTERN "tests" EXCLUDE)  # the templates' fixture cases stay in the source tree
install(FILES ${PROJECT_SOURCE_DIR}/deploy/newsd.service
        DESTINATION ${NEWSD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/deploy/grafana-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- CPack: a Debian package -------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "newsd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "newsd maintainers <newsd@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "streaming news ingestion daemon: feeds to Kafka, each article once")
set(CPACK_PACKAGE_DESCRIPTION "newsd polls RSS, Atom and JSON feeds, turns every item into one \
article record, drops what it has already published and produces each new article to Kafka. \
It runs as a systemd service (Type=notify) with health checks, Prometheus metrics and a \
status page on a local port.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_STRIP_FILES ON)
# The libraries newsd links, as Debian 12 packages them. dpkg-shlibdeps
# (dpkg-dev) derives the exact versions when present; the list stands otherwise.
find_program(NEWSD_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NEWSD_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libgcc-s1, libstdc++6, libboost-json1.81.0, libboost-url1.81.0, libcurl4, libssl3, \
libpugixml1v5, librdkafka1, libspdlog1.10, libfmt9, libtomlplusplus3, liblmdb0, libgumbo1, libuchardet0, libxml2, libicu72, libcld2-0, zlib1g")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, kcat")
# /etc/newsd/newsd.toml is the operator's: dpkg keeps their edits on upgrade.
file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles "/etc/newsd/newsd.toml\n")
file(WRITE ${CMAKE_BINARY_DIR}/debian/postinst
     "#!/bin/sh\nset -e\nif [ \"$1\" = configure ] && [ -d /run/systemd/system ]; then\n"
     "  systemctl daemon-reload || true\n  deb-systemd-helper enable newsd.service >/dev/null 2>&1 || true\n"
     "  deb-systemd-invoke start newsd.service || true\nfi\n")
file(WRITE ${CMAKE_BINARY_DIR}/debian/prerm
     "#!/bin/sh\nset -e\nif [ \"$1\" = remove ] && [ -d /run/systemd/system ]; then\n"
     "  systemctl stop newsd.service || true\nfi\n")
file(WRITE ${CMAKE_BINARY_DIR}/debian/postrm
     "#!/bin/sh\nset -e\nif [ -d /run/systemd/system ]; then\n  systemctl daemon-reload || true\nfi\n")
file(CHMOD ${CMAKE_BINARY_DIR}/debian/postinst ${CMAKE_BINARY_DIR}/debian/prerm
     ${CMAKE_BINARY_DIR}/debian/postrm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_BINARY_DIR}/debian/conffiles;${CMAKE_BINARY_DIR}/debian/postinst;${CMAKE_BINARY_DIR}/debian/prerm;${CMAKE_BINARY_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
