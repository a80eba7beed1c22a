// A child process for signals_test: each mode sets up stop_on_signals one
// way, reports on stdout what happened, and exits 0 once start() returns.
//
//   early           plain stop_on_signals, then SIGINT to itself before start()
//   early-graceful  the graceful hook, then SIGINT to itself before start()
//   graceful        a registered "channel" (one end of a socketpair); the hook
//                   closes it, so the engine stops empty long before its grace
//   grace           the hook closes nothing: the engine stops after 200 ms
//   twice           the hook closes nothing, 60 s grace: a second signal stops it
// Interactive modes print "ready" once the engine thread runs.

#include "pants/engine/engine.hpp"
#include "pants/engine/signals.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

/// The "channel": a registered descriptor that does nothing.
struct idle_handler final : pants::io_handler {
  void handle_io(std::uint32_t) override {}
};

void say(const char* line) {
  std::printf("%s\n", line);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  std::string mode = argc > 1 ? argv[1] : "";
  pants::engine eng;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    return 2;
  bool registered = false;
  auto close_channel = [&] {
    if (registered)
      eng.remove(sv[0]);
    registered = false;
  };
  if (mode == "early") {
    pants::stop_on_signals(eng);
    std::raise(SIGINT);
  } else if (mode == "early-graceful") {
    pants::stop_on_signals(
        eng, [] { say("hook"); }, 60s);
    std::raise(SIGINT);
  } else if (mode == "graceful" || mode == "grace" || mode == "twice") {
    eng.post([&] {
      eng.add(sv[0], pants::io_event::readable, std::make_shared<idle_handler>());
      registered = true;
      say("ready");
    });
    auto grace = mode == "grace" ? 200ms : 60s;
    pants::stop_on_signals(
        eng,
        [&, closes = mode == "graceful"] {
          say("hook");
          if (closes)
            close_channel(); // what end()ing the last client does
        },
        grace);
  } else {
    return 2;
  }
  eng.start();
  std::printf("stopped with %zu registered\n", eng.size());
  std::fflush(stdout);
  close_channel();
  ::close(sv[0]);
  ::close(sv[1]);
  return 0;
}
