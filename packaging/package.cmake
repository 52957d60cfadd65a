# Install rules and the Debian package (CPack DEB): `scripts/dev package` runs cpack on a
# Release build; packaging/README.md explains every file. Included from the top CMakeLists.txt.
include(GNUInstallDirs)

# Debian revision of the package: vitals_<project version>-<revision>_<arch>.deb.
set(VITALS_DEB_RELEASE "1" CACHE STRING "Debian revision of the vitals package")
set(VITALS_DEB_VERSION "${PROJECT_VERSION}-${VITALS_DEB_RELEASE}")
set(_pkg ${CMAKE_SOURCE_DIR}/packaging)
set(_gen ${CMAKE_BINARY_DIR}/packaging)

# The changelog's date is the commit's, so two builds of one commit give the same file.
set(VITALS_DEB_DATE "Thu, 01 Jan 1970 00:00:00 +0000")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%aD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE _date OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _date)
    set(VITALS_DEB_DATE "${_date}")
  endif()
endif()
configure_file(${_pkg}/debian/changelog.in ${_gen}/changelog.Debian @ONLY)

# The hardened unit (packaging/systemd/vitals.service, docs/privileges.md).
set(VITALS_UNIT ${_pkg}/systemd/vitals.service)

install(TARGETS vitals RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${VITALS_UNIT} DESTINATION /lib/systemd/system)
install(FILES ${_pkg}/debian/default DESTINATION /etc/default RENAME vitals)
install(FILES README.md docs/collectors.md docs/sockets.md docs/containers.md docs/apm.md
              packaging/README.md ${_pkg}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Made at install time from the installed binary, so the file lists exactly its options
# (`vitals --print-config`), and the changelog compressed as Debian wants it (gzip -9n).
install(CODE "
  set(_root \"\$ENV{DESTDIR}\")
  file(MAKE_DIRECTORY \"\${_root}/etc/vitals\")
  execute_process(COMMAND \"$<TARGET_FILE:vitals>\" --print-config
                  OUTPUT_FILE \"\${_root}/etc/vitals/vitals.conf\" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR \"vitals --print-config failed: \${_rc}\")
  endif()
  set(_doc \"\${_root}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  file(MAKE_DIRECTORY \"\${_doc}\")
  execute_process(COMMAND gzip -9n -c \"${_gen}/changelog.Debian\"
                  OUTPUT_FILE \"\${_doc}/changelog.Debian.gz\" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR \"gzip of the changelog failed: \${_rc}\")
  endif()
")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vitals)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "vitals maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus metrics agent for Linux nodes")
set(CPACK_PACKAGE_DESCRIPTION
    "vitals is one small daemon per node, scraped by Prometheus: host metrics\nwith node_exporter's names, sockets with their accept queues, containers\nwith cAdvisor's names, process groups, and request rates and latencies\nfrom OpenTelemetry and Zipkin spans.")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${VITALS_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER
    "vitals maintainers <maintainers@users.noreply.b-seed-274f093b.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the shared libraries dpkg-shlibdeps finds in the binary, and adduser (postinst).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_pkg}/debian/conffiles;${_pkg}/debian/postinst;${_pkg}/debian/prerm;${_pkg}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
