// An echo server that closes any connection idle for too long, with a
// channel timer (defer) that runs inside the channel's actor; the handler
// is in idle_echo.hpp, which a mock-engine test also drives.
//   idle_timeout [port] [seconds]      (defaults 4000 and 10)
#include "idle_echo.hpp"

#include <pants/pants.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 4000;
  double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 10.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "idle_timeout: the idle limit must be positive\n");
    return 2;
  }
  auto limit = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  auto server =
      std::make_shared<pants::server>([limit] { return std::make_shared<idle_echo>(limit); });
  server->listen(port);
  std::printf("idle_timeout listening on port %u (idle limit %.3g s)\n", server->port(), seconds);
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
