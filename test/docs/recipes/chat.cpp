// A chat room with nicknames and an idle timeout: the first line a client
// sends is its nickname, every later line goes to everyone else, "/who"
// lists the room, and a client quiet for a minute is told and let go.
#include <pants/pants.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

using namespace std::chrono_literals;

class member : public pants::connection {
public:
  /// Safe from any thread: another member's actor reads it for "/who".
  std::string nick() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return nick_;
  }

private:
  static constexpr auto idle_limit = 60s;
  using clock = pants::clock_service::clock;

  void on_connect() override {
    read_delimiter("\n");
    write("your nickname?\n");
    last_heard_ = now();
    watch(idle_limit);
  }

  void on_read(std::string_view line) override {
    last_heard_ = now();
    auto room = server();
    if (!room)
      return;
    if (nick().empty()) {
      {
        std::lock_guard<std::mutex> guard(mtx_);
        nick_ = line.empty() ? "anonymous" : std::string(line);
      }
      room->broadcast("* " + nick() + " joined\n");
    } else if (line == "/who") {
      std::string who = "here:";
      for (auto& m : room->channels<member>()) // typed: no cast to reach nick()
        who += " " + m->nick();
      write(who + "\n");
    } else {
      room->broadcast(nick() + ": " + std::string(line) + "\n", this); // all but the sender
    }
  }

  void on_close() override {
    // The server no longer lists this member when on_close runs.
    if (auto room = server(); room && !nick().empty())
      room->broadcast("* " + nick() + " left\n");
  }

  // The engine's clock, so the same code runs on virtual time in a mock test.
  clock::time_point now() const { return engine().clock().now(); }

  // One pending timer per member, re-armed when it fires.
  void watch(clock::duration wait) {
    defer(wait, [this] {
      auto quiet = now() - last_heard_;
      if (quiet < idle_limit) {
        watch(idle_limit - quiet);
        return;
      }
      write("quiet for a minute: goodbye\n");
      end();
    });
  }

  mutable std::mutex mtx_;
  std::string nick_;             // set once, under mtx_
  clock::time_point last_heard_; // this member's actor only
};

int main() {
  auto room = std::make_shared<pants::server>([] { return std::make_shared<member>(); });
  room->listen(4000);
  pants::stop_on_signals(pants::engine::instance(), [room] {
    room->broadcast("* the room is closing\n");
    room->end();
  });
  pants::engine::instance().start();
}
