// An echo server on asyncore's dispatcher, written as a Python asyncore
// program writes one: every byte a client sends comes back.
//   asyncore_echo [port]      (default 4000; try `telnet localhost 4000`)
#include <pants/asyncore/asyncore.hpp>
#include <pants/channels/errors.hpp>
#include <pants/engine/signals.hpp>

#include "port_argument.hpp"

#include <cstdio>

namespace asyncore = pants::asyncore;

class echo_handler : public asyncore::dispatcher_with_send {
public:
  using dispatcher_with_send::dispatcher_with_send;
  void handle_read() override {
    auto data = recv(8192);
    if (!data.empty())
      send(data);
  }
  // asyncore's flow control: a client that sends without reading stops
  // being read once 1 MiB of its echo waits, instead of growing the queue.
  bool readable() override { return out_buffer.size() < 1024 * 1024; }
};

class echo_server : public asyncore::dispatcher {
public:
  explicit echo_server(long port) {
    create_socket(AF_INET, SOCK_STREAM);
    set_reuse_addr();
    bind("", port);
    listen(1024);
  }
  void handle_accepted(asyncore::socket_handle sock, const pants::endpoint&) override {
    asyncore::make<echo_handler>(std::move(sock)); // the map keeps it until it closes
  }
};

int main(int argc, char** argv) {
  long port = port_argument(argc, argv);
  try {
    auto server = asyncore::make<echo_server>(port);
    std::printf("asyncore echo server listening on port %u\n",
                server->socket().getsockname().port());
    std::fflush(stdout);
  } catch (const pants::os_error& e) {
    std::fprintf(stderr, "asyncore_echo: %s\n", e.what());
    return 1;
  }
  // SIGINT or SIGTERM closes every channel: loop() returns once none is left.
  pants::stop_on_signals(asyncore::socket_map::default_map().get_engine(),
                         [] { asyncore::close_all(); });
  asyncore::loop();
}
