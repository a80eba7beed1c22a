// An echo server that closes any connection idle for too long: a channel
// timer (defer) re-armed on every read, running inside the channel's actor.
//   idle_timeout [port] [seconds]      (defaults 4000 and 10)
#include "pants.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

static std::chrono::milliseconds idle_limit{10000};

struct idle_echo : pants::connection {
  pants::timer idle; // the pending timeout; cancelled and re-armed on each read

  void on_connect() override { arm(); }

  void on_read(std::string_view data) override {
    write(data);
    arm();
  }

  void arm() {
    idle.cancel();
    idle = defer(idle_limit, [this] {
      write("idle timeout\n");
      end(); // flush the notice, then close
    });
  }
  // Nothing to do in on_close: the channel's timers are cancelled with it.
};

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 4000;
  double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 10.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "idle_timeout: the idle limit must be positive\n");
    return 2;
  }
  idle_limit = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  auto server = std::make_shared<pants::server>([] { return std::make_shared<idle_echo>(); });
  server->listen(port);
  std::printf("idle_timeout listening on port %u (idle limit %.3g s)\n", server->port(), seconds);
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
