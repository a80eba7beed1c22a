# Runs the compiler on SOURCE twice: with PANTS_CONTROL defined it must compile
# (so nothing else is wrong with the file), without it it must fail, and the
# compiler's output must contain EXPECT (the library's static_assert message).
#   cmake -DCXX=... -DINCLUDE=... -DSOURCE=... -DEXPECT=... -P check.cmake
set(flags -std=c++17 -fsyntax-only -I${INCLUDE})
execute_process(COMMAND ${CXX} ${flags} -DPANTS_CONTROL ${SOURCE} RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: the control (PANTS_CONTROL) does not compile:\n${err}")
endif()
execute_process(COMMAND ${CXX} ${flags} ${SOURCE} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled; the mistake in it must not")
endif()
string(FIND "${err}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the compiler's error does not say \"${EXPECT}\":\n${err}")
endif()
