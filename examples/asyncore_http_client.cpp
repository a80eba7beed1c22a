// The HTTP client of Python's asyncore documentation: fetches PATH from
// HOST:PORT with HTTP/1.0 and prints the response as it arrives.
//   asyncore_http_client HOST PORT PATH     (e.g. localhost 8000 /)
#include <pants/asyncore/asyncore.hpp>
#include <pants/channels/errors.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace asyncore = pants::asyncore;

class http_client : public asyncore::dispatcher {
public:
  http_client(const std::string& host, long port, const std::string& path)
      : buffer_("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n") {
    create_socket(host.find(':') != std::string::npos ? AF_INET6 : AF_INET, SOCK_STREAM);
    connect(host, port);
  }
  void handle_connect() override {}
  void handle_close() override { close(); }
  void handle_read() override { std::cout << recv(8192) << std::flush; }
  bool writable() override { return !buffer_.empty(); }
  void handle_write() override {
    auto sent = send(buffer_);
    buffer_.erase(0, sent);
  }
  void handle_error() override {
    failed = true;
    dispatcher::handle_error(); // reports on stderr, then closes
  }
  bool failed = false;

private:
  std::string buffer_;
};

int main(int argc, char** argv) {
  char* end = nullptr;
  long port = argc == 4 ? std::strtol(argv[2], &end, 10) : -1;
  if (argc != 4 || end == argv[2] || *end != '\0' || port < 1 || port > 65535) {
    std::fprintf(stderr, "usage: %s HOST PORT PATH   (PORT 1 to 65535)\n", argv[0]);
    return 2;
  }
  try {
    auto client = asyncore::make<http_client>(argv[1], port, argv[3]);
    asyncore::loop();
    return client->failed ? 1 : 0;
  } catch (const std::exception& e) { // a bad address, a refusal at once
    std::fprintf(stderr, "asyncore_http_client: %s\n", e.what());
    return 1;
  }
}
