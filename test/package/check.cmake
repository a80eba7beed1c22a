# ctest entries package_<mode>: the package as users consume it, outside the
# source tree (a scratch directory under /tmp, removed on success).
#   cmake -DMODE=find_package|pkg_config|add_subdirectory -DSOURCE=<source dir>
#         -DBUILD=<build dir> -DCXX=<compiler> -P check.cmake
# find_package and pkg_config install BUILD into a scratch prefix first;
# each then builds test/package/consumer and runs it.
string(RANDOM LENGTH 8 tag)
set(WORK /tmp/pants-package-${MODE}-${tag})
file(REMOVE_RECURSE ${WORK})
file(COPY ${SOURCE}/test/package/consumer/ DESTINATION ${WORK}/consumer)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

if(MODE STREQUAL "find_package" OR MODE STREQUAL "pkg_config")
  set(PREFIX ${WORK}/prefix)
  run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX})
  foreach(f include/pants/pants.hpp include/pants/actors/testing/mock_fixture.hpp
            include/pants/asyncore/asyncore.hpp
            lib/libpants.a lib/libpants_channels.a lib/libpants_engine.a lib/libpants_testing.a
            lib/libpants_asyncore.a
            lib/cmake/Pants/PantsConfig.cmake lib/cmake/Pants/FindCAF.cmake
            lib/pkgconfig/pants.pc lib/pkgconfig/pants-testing.pc lib/pkgconfig/pants-asyncore.pc)
    if(NOT EXISTS ${PREFIX}/${f})
      message(FATAL_ERROR "not installed: ${f}")
    endif()
  endforeach()
endif()

if(MODE STREQUAL "find_package")
  run("configure with find_package(Pants)" ${CMAKE_COMMAND} -S ${WORK}/consumer -B ${WORK}/build
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${PREFIX})
  run("build" ${CMAKE_COMMAND} --build ${WORK}/build)
elseif(MODE STREQUAL "add_subdirectory")
  run("configure with add_subdirectory" ${CMAKE_COMMAND} -S ${WORK}/consumer -B ${WORK}/build
      -DCMAKE_CXX_COMPILER=${CXX} -DPANTS_SOURCE=${SOURCE})
  run("build" ${CMAKE_COMMAND} --build ${WORK}/build -j 2)
  if(NOT EXISTS ${WORK}/build/pants/src/libpants.a)
    message(FATAL_ERROR "the subproject's library is not under its own binary directory")
  endif()
elseif(MODE STREQUAL "pkg_config")
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/lib/pkgconfig)
  file(MAKE_DIRECTORY ${WORK}/build)
  # pkg_compile(<package> <source> <program>): compiles with the package's flags.
  function(pkg_compile package source program)
    execute_process(COMMAND pkg-config --cflags --libs ${package} RESULT_VARIABLE rc
                    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "pkg-config --cflags --libs ${package} failed")
    endif()
    separate_arguments(flags UNIX_COMMAND "${flags}")
    run("compile ${source} with ${package}'s flags" ${CXX} -std=c++17 ${WORK}/consumer/${source}
        ${flags} -o ${WORK}/build/${program})
  endfunction()
  pkg_compile(pants-testing main.cpp consumer)
  pkg_compile(pants-asyncore asyncore_main.cpp asyncore_consumer)
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

run("run the consumer" ${WORK}/build/consumer)
run("run the asyncore consumer" ${WORK}/build/asyncore_consumer)
file(REMOVE_RECURSE ${WORK})
