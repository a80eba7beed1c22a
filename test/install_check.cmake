# ctest entry install_layout: installs the build tree into a scratch prefix
# and checks that a program using the library and its mock engine compiles
# against the installed headers alone.
#   cmake -DBUILD=<build dir> -DPREFIX=<scratch dir> -DCXX=<compiler> -P install_check.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(f lib/libpants.a include/pants/pants.hpp include/pants/actors/testing/mock_fixture.hpp)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(WRITE "${PREFIX}/use.cpp" "#include <pants/pants.hpp>\n#include <pants/actors/testing/mock_fixture.hpp>\nint main() { pants::testing::mock_engine mock; return 0; }\n")
execute_process(COMMAND "${CXX}" -std=c++17 -fsyntax-only -I "${PREFIX}/include" "${PREFIX}/use.cpp"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a program using the installed headers does not compile")
endif()
file(REMOVE_RECURSE "${PREFIX}")
