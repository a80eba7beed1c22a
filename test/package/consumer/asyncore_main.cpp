// A program as a user of the installed package writes it with asyncore
// alone (Pants::asyncore, no CAF): two dispatchers on a socket pair, one
// sends, the other reads, under asyncore::loop. Exits 0 when the bytes came.
#include <pants/asyncore/asyncore.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <sys/socket.h>

namespace asyncore = pants::asyncore;

struct reader : asyncore::dispatcher {
  using dispatcher::dispatcher;
  void handle_read() override {
    got += recv(100);
    if (got == "hello, package")
      close();
  }
  bool writable() override { return false; }
  std::string got;
};

int main() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return 1;
  asyncore::socket_map map;
  auto r = asyncore::make<reader>(asyncore::socket_handle(sv[0]), &map);
  asyncore::dispatcher_with_send w(asyncore::socket_handle(sv[1]), &map);
  w.send("hello, package");
  w.close();
  asyncore::loop(std::chrono::seconds(1), false, &map, 100);
  if (r->got != "hello, package") {
    std::fprintf(stderr, "asyncore consumer: got '%s'\n", r->got.c_str());
    return 1;
  }
  std::printf("asyncore consumer: ok\n");
  return 0;
}
