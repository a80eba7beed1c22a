// asio_udp_echo: the idiomatic Boost.Asio baseline for the UDP echo benchmark.
//
//   asio_udp_echo PORT      (PORT 0 picks a free port)
//
// One io_context run on one thread; one udp::socket bound to [::]:PORT with v6_only off
// (IPv4 and IPv6 on all interfaces, like examples/udp_echo) loops async_receive_from (up to
// 64 KiB) -> async_send_to (back to the sender) -> async_receive_from. Prints
// "asio_udp_echo listening on [::]:<port>" once ready; SIGINT/SIGTERM stop the io_context
// via asio::signal_set.

#include "server_args.hpp"

#include <boost/asio.hpp>

#include <array>
#include <cstdio>

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

class server {
public:
  server(asio::io_context& io, unsigned short port) : socket_(io, udp::v6()) {
    socket_.set_option(asio::ip::v6_only(false));
    socket_.bind(udp::endpoint(udp::v6(), port));
    do_receive();
  }

  unsigned short port() const { return socket_.local_endpoint().port(); }

private:
  void do_receive() {
    socket_.async_receive_from(asio::buffer(buf_), sender_,
                               [this](boost::system::error_code ec, std::size_t n) {
                                 if (ec == asio::error::operation_aborted)
                                   return; // socket closed
                                 if (ec)
                                   do_receive(); // e.g. a truncated datagram: skip it
                                 else
                                   do_send(n);
                               });
  }

  void do_send(std::size_t n) {
    // A failed send (e.g. no buffer space) drops this echo, as UDP may.
    socket_.async_send_to(asio::buffer(buf_.data(), n), sender_,
                          [this](boost::system::error_code ec, std::size_t) {
                            if (ec != asio::error::operation_aborted)
                              do_receive();
                          });
  }

  udp::socket socket_;
  udp::endpoint sender_;
  std::array<char, 64 * 1024> buf_;
};

} // namespace

int main(int argc, char** argv) {
  unsigned short port = bench::port_argument(argc, argv);
  try {
    asio::io_context io(1); // concurrency hint: exactly one thread runs this context
    server srv(io, port);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
    std::printf("asio_udp_echo listening on [::]:%u\n", unsigned{srv.port()});
    std::fflush(stdout);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_udp_echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
