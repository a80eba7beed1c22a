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
  pants::timer idle;
  void on_connect() override { arm(); }
  void on_read(std::string_view data) override { write(data); arm(); }
  void arm() {
    idle.cancel();
    idle = defer(30s, [this] { write("idle timeout\n"); end(); });
  }
};
// docs: hidden {
} // namespace block_3
// docs: hidden }

// docs: hidden {
namespace block_4 {
constexpr std::chrono::steady_clock::duration limit = std::chrono::seconds(30);
// docs: hidden }
struct idle_echo : pants::connection {
  std::chrono::steady_clock::time_point last_read;   // touched only in this channel's actor

  void on_connect() override { last_read = engine().clock().now(); watch(limit); }
  void on_read(std::string_view data) override {
    write(data);
    last_read = engine().clock().now();               // no timer work per read
  }
  void watch(std::chrono::steady_clock::duration wait) {
    defer(wait, [this] {
      auto idle = engine().clock().now() - last_read;
      if (idle >= limit) {
        write("idle timeout\n");
        end();
      } else {
        watch(limit - idle);
      }
    });
  }
};
// docs: hidden {
} // namespace block_4
// docs: hidden }
