// An echo server that closes any connection idle for too long, with a
// channel timer (defer) that runs inside the channel's actor.
//   idle_timeout [port] [seconds]      (defaults 4000 and 10)
#include <pants/pants.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

static std::chrono::milliseconds idle_limit{10000};

struct idle_echo : pants::connection {
  using clock = std::chrono::steady_clock;
  clock::time_point last_read;

  void on_connect() override {
    last_read = clock::now();
    check_after(idle_limit);
  }

  void on_read(std::string_view data) override {
    write(data);
    last_read = clock::now(); // no timer work per read: the check re-arms itself
  }

  // One pending timer per connection, re-armed when it fires (re-arming on
  // every read would leave one dead wake-up per read in CAF's clock until
  // its deadline: CAF 0.17 cannot remove a scheduled message).
  void check_after(clock::duration delay) {
    defer(delay, [this] {
      auto quiet = clock::now() - last_read;
      if (quiet < idle_limit) {
        check_after(idle_limit - quiet);
        return;
      }
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
