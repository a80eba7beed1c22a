#pragma once

// The `[port]` argument of the server examples: 0 to 65535 (0: any free
// port), 4000 when absent. Anything else prints the usage and exits 2.

#include <cstdio>
#include <cstdlib>

inline long port_argument(int argc, char** argv) {
  char* end = nullptr;
  long port = argc > 1 ? std::strtol(argv[1], &end, 10) : 4000;
  if (argc > 2 || (argc > 1 && (end == argv[1] || *end != '\0' || port < 0 || port > 65535))) {
    std::fprintf(stderr, "usage: %s [port]   (0 to 65535, default 4000)\n", argv[0]);
    std::exit(2);
  }
  return port;
}
