// server_args.hpp: what the hand-written benchmark echo servers share: the PORT
// argument, fatal errors, and SIGINT/SIGTERM as a descriptor for their loop.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/signalfd.h>

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

// The one PORT argument of a benchmark server, or its usage line and exit status 2.
inline unsigned short port_argument(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    std::exit(2);
  }
  return parse_port(argv[1]);
}

// Prints `what` with errno's text and exits with status 1.
[[noreturn]] inline void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// Blocks SIGINT/SIGTERM and returns a non-blocking signalfd that becomes
// readable when one arrives, for the server's event loop to watch.
inline int stop_signal_fd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) < 0)
    die("sigprocmask");
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0)
    die("signalfd");
  return sfd;
}

} // namespace bench
