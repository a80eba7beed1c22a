// A program as a user of the installed package writes it: the echo handler
// of the README, tested on the mock engine (Pants::testing), with the
// library itself (Pants::pants) behind it. Exits 0 when the echo came back.
#include <pants/actors/testing/mock_fixture.hpp>
#include <pants/pants.hpp>

#include <cstdio>
#include <string_view>

struct echo : pants::connection {
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

int main() {
  pants::testing::mock_fixture t;
  auto [conn, peer] = t.accept<echo>();
  peer.send("hello, package");
  t.run();
  if (peer.written() != "hello, package") {
    std::fprintf(stderr, "consumer: the echo did not come back: '%s'\n", peer.written().c_str());
    return 1;
  }
  std::printf("consumer: echo ok\n");
  return 0;
}
