// A request/reply client for a protocol that frames each message with a
// 4-byte big-endian length: the read delimiter cuts the frames, and
// write_framed writes them.
#include <pants/pants.hpp>

#include <cstdio>
#include <memory>
#include <string_view>

class rpc_client : public pants::client {
public:
  // 4-byte big-endian lengths; a reply over 1 MiB is refused at its header.
  const pants::length_prefix framing{4, 1 << 20};

private:
  void on_connect() override {
    read_delimiter(framing);
    write_framed("hello"); // the length, then the bytes, in one write
  }

  void on_read(std::string_view body) override { // one whole message (maybe empty)
    std::printf("reply: %.*s\n", static_cast<int>(body.size()), body.data());
    end();
  }

  void on_overflow_error(const pants::net_error& e) override {
    std::fprintf(stderr, "reply refused: %s\n", e.what()); // never buffered
    close();
  }
  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "%s\n", e.what());
  }
  void on_close() override { engine().stop(); }
};

int main() {
  auto c = std::make_shared<rpc_client>();
  c->connect("localhost", 4000);
  pants::engine::instance().start(); // until on_close stops it
}
