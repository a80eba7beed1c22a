// A request/reply client for a protocol that frames each message with a
// 4-byte big-endian length: the read delimiter alternates between the
// 4-byte header and a body of exactly the length it announced.
#include <pants/pants.hpp>

#include <arpa/inet.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

class rpc_client : public pants::client {
public:
  static constexpr std::uint32_t max_body = 1 << 20; // a reply larger than this is refused

  /// One framed message: the length, then the bytes.
  void send_message(std::string_view body) {
    std::uint32_t length = htonl(static_cast<std::uint32_t>(body.size()));
    std::string frame(reinterpret_cast<const char*>(&length), sizeof length);
    frame += body;
    write(frame);
  }

private:
  void on_connect() override {
    expect_header();
    send_message("hello");
  }

  void on_read(std::string_view frame) override {
    if (!in_body_) {
      std::uint32_t length;
      std::memcpy(&length, frame.data(), sizeof length);
      length = ntohl(length);
      if (length > max_body) { // bad input: say so and stop, never buffer it
        std::fprintf(stderr, "reply of %u bytes refused\n", length);
        close();
        return;
      }
      if (length == 0) { // no body frame follows an empty message
        on_reply("");
        return;
      }
      read_delimiter(length); // the next frame: exactly the body
      in_body_ = true;
      return;
    }
    on_reply(frame);
    expect_header();
  }

  void expect_header() {
    read_delimiter(sizeof(std::uint32_t));
    in_body_ = false;
  }

  void on_reply(std::string_view body) {
    std::printf("reply: %.*s\n", static_cast<int>(body.size()), body.data());
    end();
  }

  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "%s\n", e.what());
  }
  void on_close() override { engine().stop(); }

  bool in_body_ = false;
};

int main() {
  auto c = std::make_shared<rpc_client>();
  c->connect("localhost", 4000);
  pants::engine::instance().start(); // until on_close stops it
}
