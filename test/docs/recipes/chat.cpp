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
  void on_connect() override {
    read_delimiter("\n");
    write("your nickname?\n");
    set_idle_timeout(60s); // from now; each read restarts it
  }

  void on_read(std::string_view line) override {
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

  void on_idle(pants::idle_kind) override {
    write("quiet for a minute: goodbye\n");
    end();
  }

  mutable std::mutex mtx_;
  std::string nick_; // set once, under mtx_
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
