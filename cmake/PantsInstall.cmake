# `cmake --install <build> [--prefix DIR]` installs:
#   lib/libpants{,_channels,_engine,_asyncore,_testing}.a
#   include/pants/...            every header (public ones include a few detail/ ones)
#   lib/cmake/Pants/             find_package(Pants): Pants::pants, Pants::testing,
#                                Pants::channels, Pants::engine, Pants::asyncore; CAF found for the user
#   lib/pkgconfig/pants.pc, pants-testing.pc, pants-asyncore.pc
# Included from src/CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(PANTS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Pants)

install(TARGETS pants_engine pants_channels pants_asyncore pants pants_testing EXPORT PantsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pants
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT PantsTargets NAMESPACE Pants:: DESTINATION ${PANTS_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/PantsConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/PantsConfig.cmake
                              INSTALL_DESTINATION ${PANTS_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/PantsConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
# Debian's libcaf-dev has no CMake config: the package finds CAF (and
# PCRE2) with the same modules this build used.
install(FILES ${PROJECT_BINARY_DIR}/PantsConfig.cmake ${PROJECT_BINARY_DIR}/PantsConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake ${PROJECT_SOURCE_DIR}/cmake/FindPCRE2.cmake
        DESTINATION ${PANTS_CMAKE_DIR})

# pkg-config files locate the prefix from where they are installed, so
# `--prefix` at install time is honoured.
file(RELATIVE_PATH PANTS_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
if(PANTS_THREAD_CHECKS)
  set(PANTS_PC_CFLAGS "-DPANTS_THREAD_CHECKS=1")
endif()
foreach(pc pants pants-testing pants-asyncore)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
