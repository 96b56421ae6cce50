# The Debian package (make package): cpack -G DEB in the build dir. The
# binary is stripped; the shared libraries it needs become Depends through
# dpkg-shlibdeps; the tools the sandbox calls are Depends too. Maintainer
# scripts (apps/dist): the hearth user and /var/lib/hearth, purge removes them.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hearth)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "hearth operators <hearth@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "pay-per-use sandboxed compute node (offers, x402, MCP, couch, marketplace)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "bubblewrap, slirp4netns, e2fsprogs, ca-certificates, passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-server, openssh-client, prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/apps/dist/postinst;${PROJECT_SOURCE_DIR}/apps/dist/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
