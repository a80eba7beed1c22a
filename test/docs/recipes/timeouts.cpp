// Connect and reply timeouts with channel timers: give up if the connection
// takes over 3 s, or the reply over 2 s. Timers run in the channel's actor,
// so they share its state with the callbacks without a lock.
#include <pants/pants.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string_view>

using namespace std::chrono_literals;

struct asker : pants::client {
  bool answered = false;
  pants::timer reply_timeout;

  void on_connect() override {
    read_delimiter("\n");
    write("TIME\n");
    reply_timeout = defer(2s, [this] {
      std::fputs("no reply within 2 s\n", stderr);
      close();
    });
  }
  void on_read(std::string_view line) override {
    reply_timeout.cancel();
    answered = true;
    std::printf("reply: %.*s\n", static_cast<int>(line.size()), line.data());
    end();
  }
  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "%s\n", e.what()); // e.g. connect to 127.0.0.1:4000: Connection refused
  }
  void on_close() override { engine().stop(); }
};

int main() {
  auto c = std::make_shared<asker>();
  c->connect("localhost", 4000);
  // Armed once the channel has started (connect() starts it). It runs in the
  // channel's actor too; once connected it finds nothing to do.
  c->defer(3s, [c] {
    if (!c->connected() && !c->closed()) {
      std::fputs("connect timed out after 3 s\n", stderr);
      c->close();
    }
  });
  pants::engine::instance().start(); // until on_close stops it
  return c->answered ? 0 : 1;
}
