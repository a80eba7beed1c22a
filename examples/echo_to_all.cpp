// Pants' echo-to-all: a line-oriented chat room. Every complete line a
// client sends goes, with its '\n', to every connected client, the sender
// included. A line still missing its '\n' is held back until it is whole.
//   echo_to_all [port]      (default 4000; try two `nc localhost 4000`)
#include <pants/pants.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

struct chatter : pants::connection {
  // Frames end at '\n': on_read gets one line at a time, without it.
  void on_connect() override { read_delimiter("\n"); }

  void on_read(std::string_view line) override {
    auto room = server(); // null once the server is gone
    if (!room)
      return;
    std::string message(line);
    message += '\n';
    // write() is safe from any thread, so this channel's handler may write
    // to all the others. One that is closing right now throws state_error:
    // skip it, the rest of the room still gets the line.
    for (auto& peer : room->channels()) {
      try {
        peer->write(message);
      } catch (const pants::state_error&) {
      }
    }
  }
};

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 4000;
  auto room = std::make_shared<pants::server>([] { return std::make_shared<chatter>(); });
  try {
    room->listen(port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_to_all: cannot listen on port %ld: %s\n", port, e.what());
    return 1;
  }
  std::printf("echo_to_all listening on port %u\n", room->port());
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance()); // Ctrl-C / SIGTERM: start() returns
  pants::engine::instance().start();
}
