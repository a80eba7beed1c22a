// docs: hidden {
// The C++ blocks of docs/asyncore.md not taken from examples/, each compiled
// (docs_sync_test checks that this file, without its hidden lines, is
// exactly the page's code).

#include <pants/asyncore/asyncore.hpp>
#include <pants/pants.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace block_1 {
struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};
// docs: hidden }
class line_client : public pants::asyncore::async_chat {
public:
  explicit line_client(pants::asyncore::socket_map* map) : async_chat(map) {
    create_socket(AF_INET, SOCK_STREAM);
    connect("127.0.0.1", 4000);
    set_terminator("\n");
    push("hello\n");
  }
  void found_terminator() override {
    std::printf("%s\n", get_data().c_str()); // the echo of "hello"
    map()->get_engine().stop();
  }
};

int main() {
  auto& eng = pants::engine::instance();
  auto srv = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  srv->listen(4000);                                    // a Pants server on eng
  pants::asyncore::socket_map shared(eng);              // dispatchers on eng too
  auto c = pants::asyncore::make<line_client>(&shared); // before start(): any one thread
  eng.start();                                          // Pants' loop serves both
// docs: hidden {
  return 0; // not the program's main: one in a namespace returns nothing by itself
// docs: hidden }
}
// docs: hidden {
} // namespace block_1
// docs: hidden }

// docs: hidden {
namespace block_2 {
// docs: hidden }
struct chatter : pants::connection {
  void on_connect() override { read_delimiter("\n"); } // set_terminator("\n")
  void on_read(std::string_view line) override {        // collect + found_terminator
    if (auto room = server())
      room->broadcast(std::string(line) + "\n");         // push to every member
  }
};

void serve(long port) {
  auto room = std::make_shared<pants::server>([] { return std::make_shared<chatter>(); });
  room->listen(port);               // create_socket, set_reuse_addr, bind, listen
  pants::engine::instance().start(); // asyncore::loop()
}
// docs: hidden {
} // namespace block_2
// docs: hidden }
