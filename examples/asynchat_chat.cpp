// A line chat on asynchat's async_chat: every complete line a client sends
// goes, with its "\n", to every connected client, the sender included.
//   asynchat_chat [port]      (default 4000; try two `telnet localhost 4000`)
#include <pants/asyncore/asyncore.hpp>
#include <pants/channels/errors.hpp>
#include <pants/engine/signals.hpp>

#include "port_argument.hpp"

#include <cstdio>
#include <set>
#include <string>
#include <utility>

namespace asyncore = pants::asyncore;

class chat_handler : public asyncore::async_chat {
public:
  chat_handler(asyncore::socket_handle sock, std::set<chat_handler*>& room)
      : async_chat(std::move(sock)), room_(room) {
    set_terminator("\n");
    room_.insert(this);
  }
  void found_terminator() override {
    auto line = get_data() + "\n"; // what came since the last "\n" (at most 1 MiB: the default)
    for (auto* member : std::set<chat_handler*>(room_)) { // a push may close a member
      if (room_.count(member) == 0)
        continue;
      if (member->bytes_queued() > 1024 * 1024)
        member->close(); // does not keep up: dropped rather than queued for without bound
      else
        member->push(line);
    }
  }
  void close() override {
    room_.erase(this);
    async_chat::close();
  }

private:
  std::set<chat_handler*>& room_;
};

class chat_server : public asyncore::dispatcher {
public:
  explicit chat_server(long port) {
    create_socket(AF_INET, SOCK_STREAM);
    set_reuse_addr();
    bind("", port);
    listen(1024);
  }
  void handle_accepted(asyncore::socket_handle sock, const pants::endpoint&) override {
    asyncore::make<chat_handler>(std::move(sock), room_);
  }

private:
  std::set<chat_handler*> room_;
};

int main(int argc, char** argv) {
  long port = port_argument(argc, argv);
  try {
    auto server = asyncore::make<chat_server>(port);
    std::printf("asynchat chat server listening on port %u\n",
                server->socket().getsockname().port());
    std::fflush(stdout);
  } catch (const pants::os_error& e) {
    std::fprintf(stderr, "asynchat_chat: %s\n", e.what());
    return 1;
  }
  pants::stop_on_signals(asyncore::socket_map::default_map().get_engine(),
                         [] { asyncore::close_all(); });
  asyncore::loop();
}
