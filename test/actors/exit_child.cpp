// exit_child: a server and a client on the default engine, connected to
// each other; once both ends are up the engine stops and main returns with
// all three still open. Each on_close prints a line: at exit the runtime
// shuts the default engine down (pants::shutdown), so all three appear.
// Bounded: the engine stops after 5 s whatever happens.
#include "pants/actors/stream_server.hpp"
#include "pants/engine/engine.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

namespace {

void say(const char* line) {
  std::printf("%s\n", line);
  std::fflush(stdout);
}

std::atomic<int> up{0};

void one_up() {
  if (++up == 2)
    pants::engine::instance().stop();
}

struct peer : pants::connection {
  using connection::connection;
  void on_connect() override { one_up(); }
  void on_close() override { say("connection closed"); }
};

struct listener : pants::server {
  listener() : server([] { return std::make_shared<peer>(); }) {}
  void on_close() override { say("server closed"); }
};

struct dialer : pants::client {
  void on_connect() override { one_up(); }
  void on_close() override { say("client closed"); }
};

} // namespace

int main() {
  auto& eng = pants::engine::instance();
  auto srv = std::make_shared<listener>();
  srv->listen("127.0.0.1", 0);
  auto c = std::make_shared<dialer>();
  c->connect("127.0.0.1", srv->port());
  auto limit = eng.defer(std::chrono::seconds(5), [&eng] { eng.stop(); });
  eng.start();
  say(up == 2 ? "started" : "not started");
  return 0; // srv, c and the accepted connection are still open
}
