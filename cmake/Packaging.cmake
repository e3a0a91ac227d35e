# Install rules and the Debian package (README "Install"; docs/ARCHITECTURE.md "Install and package").
#
# `cmake --install build --prefix DIR` gives a relocatable tree (it keeps working when DIR is moved):
#   DIR/bin/mosaicod                   RUNPATH $ORIGIN/../lib (the build tree keeps the .venv RPATH)
#   DIR/lib/lib*.so.NNNN               the shared libraries of the pyarrow wheel the binary needs, transitively
#                                      (found at install time from its NEEDED entries; nothing else of the wheel)
#   DIR/share/doc/mosaicod/            README.md, docs/*.md
#   DIR/share/mosaicod/                config.toml (the default configuration), mosaicod.service (the unit)
# System libraries (SQLite, libpq, spdlog, fmt, libstdc++, ...) are not copied: they come from Debian packages.
#
# `scripts/package.sh` (cpack) -> build/mosaicod_<version>_amd64.deb: the same bin/ and lib/ under
# /usr/lib/mosaicod (private: ldconfig never sees the bundled Arrow libraries), /usr/bin/mosaicod a symlink to it
# ($ORIGIN is the real file's directory), /etc/mosaicod/config.toml (conffile), /lib/systemd/system/mosaicod.service,
# /usr/share/doc/mosaicod/; maintainer scripts in packaging/debian/ (system user, /var/lib/mosaicod, the unit).
# Depends: from dpkg-shlibdeps on every ELF file of the package, plus adduser.
#
# Components: `runtime` (bin/, lib/) and `tree` (docs, config and unit under the prefix) make the default install;
# `deb` (absolute Debian paths, EXCLUDE_FROM_ALL) is installed only by cpack, which takes `runtime` + `deb`.

set(MOSAICOD_DEB_PREFIX "/usr/lib/mosaicod" CACHE STRING "Where the .deb puts bin/ and lib/ (private directory)")
set(MOSAICOD_PACKAGE_CONTACT "mosaicod maintainers <mosaicod@mosaico.invalid>" CACHE STRING "Debian Maintainer field")

# -- runtime: the binary and the wheel libraries it needs ----------------------------------------------------------------
install(TARGETS mosaicod RUNTIME_DEPENDENCY_SET mosaicod_wheel_libs RUNTIME DESTINATION bin COMPONENT runtime)
# Every dependency is resolved (wheel libraries through the build RUNPATH, system ones through ld.so's paths), then
# only those inside the wheel's directory are kept; FOLLOW_SYMLINK_CHAIN keeps the SONAME names the loader asks for.
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" _mosaicod_wheel_re "${ARROW_PYARROW_LIBDIR}")
install(RUNTIME_DEPENDENCY_SET mosaicod_wheel_libs
  DIRECTORIES "${ARROW_PYARROW_LIBDIR}"
  POST_INCLUDE_REGEXES "^${_mosaicod_wheel_re}/"
  POST_EXCLUDE_REGEXES ".*"
  LIBRARY DESTINATION lib COMPONENT runtime)

# -- tree: documentation and the packaging files, under the prefix ---------------------------------------------------------
set(_mosaicod_docs "${CMAKE_SOURCE_DIR}/README.md")
install(FILES ${_mosaicod_docs} DESTINATION share/doc/mosaicod COMPONENT tree)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/docs/" DESTINATION share/doc/mosaicod/docs COMPONENT tree
  FILES_MATCHING PATTERN "*.md")
install(FILES "${CMAKE_SOURCE_DIR}/packaging/config.toml" "${CMAKE_SOURCE_DIR}/packaging/mosaicod.service"
  DESTINATION share/mosaicod COMPONENT tree)

# -- deb: the Debian paths (cpack only) --------------------------------------------------------------------------------------
install(FILES ${_mosaicod_docs} DESTINATION /usr/share/doc/mosaicod COMPONENT deb EXCLUDE_FROM_ALL)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/docs/" DESTINATION /usr/share/doc/mosaicod/docs COMPONENT deb EXCLUDE_FROM_ALL
  FILES_MATCHING PATTERN "*.md")
install(FILES "${CMAKE_SOURCE_DIR}/packaging/config.toml" DESTINATION /etc/mosaicod COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES "${CMAKE_SOURCE_DIR}/packaging/mosaicod.service" DESTINATION /lib/systemd/system
  COMPONENT deb EXCLUDE_FROM_ALL)
file(RELATIVE_PATH _mosaicod_bin_link "/usr/bin" "${MOSAICOD_DEB_PREFIX}/bin/mosaicod")
install(CODE "
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}/usr/bin\")
  file(CREATE_LINK \"${_mosaicod_bin_link}\" \"\$ENV{DESTDIR}/usr/bin/mosaicod\" SYMBOLIC)
" COMPONENT deb EXCLUDE_FROM_ALL)

# -- CPack: one .deb with the runtime and deb components -------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mosaicod")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${MOSAICOD_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Arrow Flight daemon of the Mosaico robotics data platform")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
Stores robot recordings as immutable, queryable Arrow/Parquet datasets (SQLite or PostgreSQL catalog,
local directory or S3-compatible store) and serves them over Apache Arrow Flight to the mosaicolabs
Python SDK. Ships its own Arrow C++ libraries (from pyarrow) in ${MOSAICOD_DEB_PREFIX}/lib.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${MOSAICOD_DEB_PREFIX}")
set(CPACK_INSTALL_CMAKE_PROJECTS
  "${CMAKE_BINARY_DIR};${PROJECT_NAME};runtime;/"
  "${CMAKE_BINARY_DIR};${PROJECT_NAME};deb;/")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # mosaicod_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Runtime dependencies: dpkg-shlibdeps over the binary and the bundled libraries (found in the package's own lib/,
# so they add no dependency of their own), plus adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ".${MOSAICOD_DEB_PREFIX}/lib")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_SOURCE_DIR}/packaging/debian/conffiles"
  "${CMAKE_SOURCE_DIR}/packaging/debian/postinst"
  "${CMAKE_SOURCE_DIR}/packaging/debian/prerm"
  "${CMAKE_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# zstd: dpkg reads it since Debian 12; ~7 s on two cores where xz takes ~80 s for a quarter less size
# (scripts/package.sh: MOSAICOD_DEB_COMPRESSION=xz for the smaller file).
set(CPACK_DEBIAN_COMPRESSION_TYPE "zstd")
set(CPACK_THREADS 0)
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
