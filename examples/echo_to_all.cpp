// Pants' echo-to-all: a line-oriented chat room. Every complete line a
// client sends goes, with its '\n', to every connected client, the sender
// included. A line still missing its '\n' is held back until it is whole.
// On Ctrl-C or SIGTERM every client gets a goodbye line before the server ends.
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
    // broadcast() writes to every open client, skipping any that is closing
    // right now (a plain write to it would throw): the sender gets it too.
    if (auto room = server()) // null once the server is gone
      room->broadcast(std::string(line) + '\n');
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
  // Ctrl-C / SIGTERM: say goodbye, let every client receive what it is
  // owed, then start() returns (after 5 s at the latest; a second signal: at once).
  pants::stop_on_signals(pants::engine::instance(), [room] {
    room->broadcast("* the room is closing\n");
    room->end();
  });
  pants::engine::instance().start();
}
