// Embedding the engine in someone else's loop: a hand-written main loop
// (think of a game or a GUI toolkit) does its own work every frame and
// gives the engine one bounded poll() per frame. An echo server and a cycle
// timer live on the engine meanwhile; a status line is printed every second.
//   foreign_loop [port]      (default 4000; try `telnet localhost 4000`)
#include <pants/pants.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// engine::stop() wakes a poll() in progress but cannot end a loop the
// engine does not own (it only ends start()): the loop keeps its own flag.
volatile std::sig_atomic_t quit = 0;
pants::engine* polled = nullptr; // set before the handler is installed

extern "C" void on_signal(int) {
  quit = 1;
  polled->stop(); // async-signal-safe: wakes the poll() so the frame ends now
}

void quit_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

struct echo : pants::connection {
  // Runs in the channel's actor on a CAF worker thread, not in the main loop.
  void on_read(std::string_view data) override { write(data); }
};

} // namespace

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 4000;
  auto& engine = pants::engine::instance();
  polled = &engine;
  quit_on_signals();

  auto server = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  server->listen(port);

  // Engine timers run inside poll(), so in this thread: the loop's own
  // state needs no lock.
  long ticks = 0;
  auto ticker = engine.cycle(250ms, [&ticks] { ++ticks; });

  std::printf("foreign_loop listening on port %u\n", server->port());
  std::fflush(stdout);

  long frames = 0, frames_at_status = 0;
  auto next_status = steady::now() + 1s;
  while (!quit) {
    // The engine's share of the frame: I/O and due timers, at most 10 ms
    // (less when woken by the network, a timer or a signal).
    engine.poll(10ms);

    // The application's share (a game would update and draw here): count
    // the frame, and report once a second.
    ++frames;
    auto now = steady::now();
    if (now >= next_status) {
      std::printf("status: frame %ld (%ld this second), %ld cycle ticks, %zu client(s)\n", frames,
                  frames - frames_at_status, ticks, server->channels().size());
      std::fflush(stdout);
      frames_at_status = frames;
      next_status = now + 1s;
    }
  }

  // Shutting down is more frames: closing needs the engine, which only
  // runs when polled. Bounded, in case a channel lingers.
  ticker.cancel();
  server->close();
  for (int i = 0; i < 100; ++i) {
    engine.poll(10ms);
    if (server->channels().empty())
      break;
  }
  std::printf("foreign_loop stopped after %ld frames\n", frames);
}
