// docs: hidden {
// The C++ blocks of docs/timers.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <chrono>
#include <string_view>

// docs: hidden }
// docs: hidden {
namespace block_2 {
bool quit = false;
void draw_frame();
void run() {
  using namespace std::chrono_literals;
  int ticks = 0;
// docs: hidden }
auto& engine = pants::engine::instance();
auto ticker = engine.cycle(250ms, [&] { ++ticks; });   // runs inside poll(), in this thread
while (!quit) {
  engine.poll(10ms);   // network and timers: at most 10 ms
  draw_frame();        // the application's own work
}
// docs: hidden {
  (void)ticker;
}
} // namespace block_2
// docs: hidden }

// docs: hidden {
namespace block_3 {
using namespace std::chrono_literals;
// docs: hidden }
struct idle_echo : pants::connection {
  idle_echo() { set_idle_timeout(30s); }        // counts from the connection
  void on_read(std::string_view data) override { write(data); }
  void on_idle(pants::idle_kind) override {     // default: close()
    write("idle timeout\n");
    end();                                      // flush the notice, then close
  }
};
// docs: hidden {
} // namespace block_3
// docs: hidden }

// docs: hidden {
namespace block_4 {
using namespace std::chrono_literals;
// docs: hidden }
struct keep_alive : pants::connection {
  pants::timer ping;
  void on_connect() override {
    ping = defer(15s, [this] { write("PING\r\n"); ping.restart(); });
  }
  void on_read(std::string_view) override { ping.restart(); }   // heard from the peer
};
// docs: hidden {
} // namespace block_4
// docs: hidden }
