// docs: hidden {
// The C++ blocks of docs/getting-started.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
#include <pants/pants.hpp>

#include <cstdio>

struct greeter : pants::client {
  void on_connect() override {
    read_delimiter("\n"); // one on_read per line, without the '\n'
    write("hello\n");
  }
  void on_read(std::string_view line) override {
    std::printf("got: %.*s\n", static_cast<int>(line.size()), line.data());
    end(); // send what is queued, then close
  }
  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "cannot connect: %s\n", e.message.c_str());
  }
  void on_close() override { engine().stop(); } // every way the channel ends comes here, once
};

int main(int argc, char** argv) {
  auto c = std::make_shared<greeter>();
  c->connect(argc > 1 ? argv[1] : "localhost", 4000);
  pants::engine::instance().start(); // until on_close stops it
}
