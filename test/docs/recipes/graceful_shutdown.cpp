// Graceful shutdown: on Ctrl-C or SIGTERM, tell every client, let each one
// receive what it is owed, then stop (after 10 s at the latest; a second
// signal stops at once).
#include <pants/pants.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string_view>

struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

int main() {
  auto srv = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  srv->listen(4000);
  pants::stop_on_signals(
      pants::engine::instance(),
      [srv] {                                       // runs in the engine thread
        srv->broadcast("server going down, bye\n"); // every open client gets it
        srv->end(); // no more accepts; each connection sends its queue, then closes
      },
      std::chrono::seconds(10));
  pants::engine::instance().start(); // returns once the last connection has closed
  std::puts("every client served; exiting");
}
