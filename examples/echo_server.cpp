// Pants' echo server: every byte a client sends comes straight back.
//   echo_server [port]      (default 4000, 0 for any free port; try `telnet localhost 4000`)
#include <pants/pants.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>

struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

int main(int argc, char** argv) {
  char* end = nullptr;
  long port = argc > 1 ? std::strtol(argv[1], &end, 10) : 4000;
  if (argc > 2 || (argc > 1 && (end == argv[1] || *end != '\0' || port < 0 || port > 65535))) {
    std::fprintf(stderr, "usage: %s [port]   (0 to 65535, default 4000)\n", argv[0]);
    return 2;
  }
  auto server = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  server->listen(port);
  std::printf("echo server listening on port %u\n", server->port());
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
