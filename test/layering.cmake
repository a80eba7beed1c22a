# ctest entry `layering`: layers point one way (STYLE.md habit 1).
#   engine/            includes only engine/ and no CAF
#   channels/          includes engine/ and channels/, no CAF
#   asyncore/          includes engine/, channels/ and asyncore/, no CAF
#   actors/            includes anything but actors/testing/
#   actors/testing/    the mock engine: anything
#   cmake -DSRC=<src dir> -P layering.cmake
set(bad "")
file(GLOB_RECURSE files RELATIVE ${SRC} ${SRC}/*.hpp ${SRC}/*.cpp)
foreach(f ${files})
  if(f MATCHES "^engine/")
    set(forbidden "pants/(channels|actors|asyncore)/|pants/pants\\.hpp|<caf/")
  elseif(f MATCHES "^channels/")
    set(forbidden "pants/(actors|asyncore)/|pants/pants\\.hpp|<caf/")
  elseif(f MATCHES "^asyncore/")
    set(forbidden "pants/actors/|pants/pants\\.hpp|<caf/")
  elseif(f MATCHES "^actors/testing/" OR f STREQUAL "pants.hpp")
    continue()
  elseif(f MATCHES "^actors/")
    set(forbidden "pants/actors/testing/")
  else()
    continue()
  endif()
  file(STRINGS ${SRC}/${f} includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${includes})
    if(line MATCHES "${forbidden}")
      string(APPEND bad "\n  src/${f}: ${line}")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "includes that point up a layer:${bad}")
endif()
list(LENGTH files n)
message(STATUS "layering: ${n} files, every include points down or sideways")
