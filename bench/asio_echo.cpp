// asio_echo: the idiomatic Boost.Asio baseline for the echo benchmarks.
//
//   asio_echo PORT      (listens on 127.0.0.1:PORT; PORT 0 picks a free port)
//
// One io_context run on one thread; each session loops async_read_some (up to 64 KiB) ->
// async_write (all of it) -> async_read_some. Prints "asio_echo listening on
// 127.0.0.1:<port>" once ready; SIGINT/SIGTERM stop the io_context via asio::signal_set.

#include "server_args.hpp"

#include <boost/asio.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() {
    boost::system::error_code ec;
    // Echo replies are small; do not let Nagle hold them back behind unacked data.
    socket_.set_option(tcp::no_delay(true), ec);
    do_read();
  }

private:
  void do_read() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                    boost::system::error_code ec, std::size_t n) {
      if (!ec)
        self->do_write(n);
      // On error/EOF the last reference drops and the socket closes.
    });
  }

  void do_write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buf_.data(), n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec)
                          self->do_read();
                      });
  }

  tcp::socket socket_;
  std::array<char, 64 * 1024> buf_;
};

class server {
public:
  server(asio::io_context& io, unsigned short port)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port)) {
    do_accept();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
  void do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted)
        return; // acceptor closed
      if (!ec)
        std::make_shared<session>(std::move(socket))->start();
      else
        std::fprintf(stderr, "accept: %s\n", ec.message().c_str()); // e.g. EMFILE
      do_accept();
    });
  }

  tcp::acceptor acceptor_; // the endpoint constructor sets SO_REUSEADDR
};

} // namespace

int main(int argc, char** argv) {
  unsigned short port = bench::port_argument(argc, argv);
  try {
    asio::io_context io(1); // concurrency hint: exactly one thread runs this context
    server srv(io, port);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    // Stopping the io_context abandons the sessions' pending handlers; they are destroyed
    // (closing their sockets) when `io` is destroyed.
    signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
    std::printf("asio_echo listening on 127.0.0.1:%u\n", unsigned{srv.port()});
    std::fflush(stdout);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
