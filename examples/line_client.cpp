// A line client for echo_server and echo_to_all: sends each line typed on
// stdin, prints each line that comes back. Exits when the connection ends.
//   line_client [host] [port]      (default 127.0.0.1 4000)
#include <pants/pants.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

std::atomic<int> exit_status{0};

struct line_client : pants::client {
  void on_connect() override {
    read_delimiter("\n");
    // std::getline blocks, so stdin is read on a plain thread of its own,
    // never on the engine or a handler. write() is safe from any thread.
    auto self = std::static_pointer_cast<line_client>(shared_from_this());
    std::thread([self] { self->send_stdin(); }).detach();
  }

  void on_read(std::string_view line) override {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void on_connect_error(const pants::net_error& e) override {
    std::fprintf(stderr, "line_client: cannot connect: %s\n", e.message.c_str());
    exit_status = 1;
  }

  // Every way the channel ends comes here, exactly once: stop the engine so
  // main() returns.
  void on_close() override { engine().stop(); }

  // Runs on the stdin thread.
  void send_stdin() {
    try {
      for (std::string line; std::getline(std::cin, line);)
        write(line + '\n');
      // Half-close: the server sees end of stream once our lines are out,
      // sends back what is left, then closes; we keep reading until then.
      shutdown_write();
    } catch (const pants::state_error&) {
      // the server closed the connection first
    }
  }
};

int main(int argc, char** argv) {
  std::string host = argc > 1 ? argv[1] : "127.0.0.1";
  long port = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 4000;
  auto client = std::make_shared<line_client>();
  try {
    client->connect(host, port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "line_client: %s\n", e.what());
    return 2;
  }
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start(); // until on_close stops it
  return exit_status;
}
