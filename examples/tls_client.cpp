// A TLS client: connects to HOST:PORT, checks the server's certificate and
// name, sends what comes on stdin, prints what comes back. At the end of
// stdin it sends close_notify (TLS's half-close) and prints the rest until
// the server closes.
//   tls_client HOST PORT [CA_FILE]     (default: the system's trusted CAs)
// Against a public HTTPS server (needs network access):
//   printf 'GET / HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n' |
//       tls_client example.org 443
// Exit status: 0 once the server closed, 1 if the connection or the TLS
// handshake failed (the reason on stderr), 2 for bad arguments.
#include <pants/pants.hpp>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>

std::atomic<int> exit_status{0};

struct tls_client : pants::client {
  void on_connect() override { // after the handshake: the server is who it says
    // read(2) blocks, so stdin is read on a plain thread of its own, never
    // on the engine or a handler. write() is safe from any thread.
    auto self = std::static_pointer_cast<tls_client>(shared_from_this());
    std::thread([self] { self->send_stdin(); }).detach();
  }

  void on_read(std::string_view data) override {
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
  }

  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "tls_client: cannot connect: %s\n", e.message.c_str());
    exit_status = 1;
  }

  void on_tls_error(const pants::net_error& e) override { // a bad certificate, a wrong name…
    std::fprintf(stderr, "tls_client: %s\n", e.message.c_str());
    exit_status = 1;
  }

  void on_close() override { engine().stop(); }

  // Runs on the stdin thread.
  void send_stdin() {
    try {
      char buf[16 * 1024];
      for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          break;
        write(std::string_view(buf, static_cast<std::size_t>(n)));
      }
      shutdown_write(); // close_notify once what was written is out; reading goes on
    } catch (const pants::state_error&) {
      // the server closed the connection first
    }
  }
};

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s HOST PORT [CA_FILE]\n", argv[0]);
    return 2;
  }
  char* end = nullptr;
  long port = std::strtol(argv[2], &end, 10);
  auto client = std::make_shared<tls_client>();
  try {
    if (end == argv[2] || *end != '\0')
      throw pants::address_error(std::string("bad port: ") + argv[2]);
    pants::tls_options tls; // verify_peer and the host name check are on for a client
    if (argc == 4)
      tls.ca_file = argv[3];
    client->start_tls(tls); // SNI and the name checked: HOST
    client->connect(argv[1], port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tls_client: %s\n", e.what());
    return 2;
  }
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start(); // until on_close stops it
  return exit_status;
}
