// A UDP echo server: every datagram goes straight back to its sender.
//   udp_echo [port]      (default 4000; try `nc -u localhost 4000`)
#include <pants/pants.hpp>

#include <cstdio>
#include <cstdlib>

struct echo : pants::datagram {
  void on_read(std::string_view data, const pants::endpoint& from) override { write(data, from); }
};

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 4000;
  auto channel = std::make_shared<echo>();
  channel->listen(port);
  std::printf("udp echo listening on port %u\n", channel->port());
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
