// server_args.hpp: the PORT argument of the benchmark echo servers.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace bench {

// Parses a port number in [0, 65535] (0: the kernel picks one) or exits with status 2.
inline unsigned short parse_port(const char* s) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 65535) {
    std::fprintf(stderr, "invalid port: %s\n", s);
    std::exit(2);
  }
  return static_cast<unsigned short>(v);
}

} // namespace bench
