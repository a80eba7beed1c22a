#pragma once

// What the asyncore suites share: the backend a run uses (select or poll,
// from PANTS_BACKEND, as ctest sets it), the address families a test runs
// over, a bounded loop, and dispatchers every test needs (a listener that
// starts one handler per connection, an async_chat that gathers lines).
// Include after <boost/test/unit_test.hpp>.

#include "pants/asyncore/asyncore.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <ostream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace pants::test {

namespace ac = pants::asyncore;
using namespace std::chrono_literals;

/// poll(2) when ctest runs the suite with PANTS_BACKEND=poll, else select(2).
inline bool use_poll() {
  const char* b = std::getenv("PANTS_BACKEND");
  return b != nullptr && std::string(b) == "poll";
}

/// A map on the backend of this run.
inline std::unique_ptr<ac::socket_map> fresh_map() {
  return std::make_unique<ac::socket_map>(use_poll() ? "poll" : "select");
}

enum class net { ipv4, ipv6, unix_path };
inline constexpr net all_nets[] = {net::ipv4, net::ipv6, net::unix_path};
inline constexpr net tcp_nets[] = {net::ipv4, net::ipv6};

inline std::ostream& operator<<(std::ostream& out, net n) {
  return out << (n == net::ipv4 ? "ipv4" : n == net::ipv6 ? "ipv6" : "unix_path");
}

inline int family_of(net n) {
  return n == net::ipv4 ? AF_INET : n == net::ipv6 ? AF_INET6 : AF_UNIX;
}

/// False for IPv6 on a host without `::1` (checked once).
inline bool available(net n) {
  static const bool ipv6 = [] {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    if (fd >= 0)
      ::close(fd);
    return ok;
  }();
  return n != net::ipv6 || ipv6;
}

/// At the top of a test over `n`: ends it, saying why, when the host lacks `n`.
#define PANTS_NEEDS_NET(n)                                                                         \
  do {                                                                                             \
    if (!::pants::test::available(n)) {                                                            \
      BOOST_TEST_MESSAGE("IPv6 loopback (::1) is unavailable on this host: skipped");              \
      return;                                                                                      \
    }                                                                                              \
  } while (false)

/// A fresh address to listen on: port 0 on a loopback host, or a new path.
inline endpoint listen_address(net n) {
  static std::atomic<int> serial{0};
  if (n == net::unix_path)
    return endpoint::unix_socket("/tmp/pants-asyncore-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(serial++) + ".sock");
  return endpoint::numeric(n == net::ipv4 ? "127.0.0.1" : "::1", 0);
}

/// Runs `map` one iteration at a time until `done()` or `limit` passed;
/// returns `done()`.
inline bool run_until(ac::socket_map& map, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (map.empty())
      break;
    ac::loop(20ms, use_poll(), &map, 1);
  }
  return done();
}

/// A listener that starts `make(sock)` for each connection it accepts
/// (the handlers join the same map) and keeps them in `handlers`.
class server : public ac::dispatcher {
public:
  using factory =
      std::function<std::shared_ptr<ac::dispatcher>(ac::socket_handle, ac::socket_map*)>;
  server(ac::socket_map* m, net n, factory make) : ac::dispatcher(m), make_(std::move(make)) {
    create_socket(family_of(n), SOCK_STREAM);
    if (n != net::unix_path)
      set_reuse_addr();
    bind(listen_address(n));
    listen(5);
  }
  /// Where clients connect: the bound address, with its real port.
  endpoint address() const { return socket().getsockname(); }
  void handle_accepted(ac::socket_handle sock, const endpoint& peer) override {
    peers.push_back(peer);
    handlers.push_back(make_(std::move(sock), map()));
  }
  bool writable() override { return false; }

  std::vector<std::shared_ptr<ac::dispatcher>> handlers;
  std::vector<endpoint> peers;

private:
  factory make_;
};

/// Sends back what it reads (Python's test echo handler).
class echo_handler : public ac::dispatcher_with_send {
public:
  using dispatcher_with_send::dispatcher_with_send;
  void handle_read() override {
    auto data = recv(8192);
    if (!data.empty())
      send(data);
  }
};

inline server::factory echo_factory() {
  return [](ac::socket_handle s, ac::socket_map* m) {
    return ac::make<echo_handler>(std::move(s), m);
  };
}

/// Sends `payload`, `chunk` bytes per write event, then (if `close_after`)
/// closes: a peer whose bytes arrive a few at a time.
class chunked_sender : public ac::dispatcher {
public:
  chunked_sender(ac::socket_handle s, ac::socket_map* m, std::string payload, std::size_t chunk,
                 bool close_after = false)
      : ac::dispatcher(std::move(s), m), payload_(std::move(payload)), chunk_(chunk),
        close_after_(close_after) {}
  bool readable() override { return false; }
  bool writable() override { return !payload_.empty() || close_after_; }
  void handle_write() override {
    if (payload_.empty()) {
      close();
      return;
    }
    auto n = send(std::string_view(payload_).substr(0, chunk_));
    payload_.erase(0, n);
  }

private:
  std::string payload_;
  std::size_t chunk_;
  bool close_after_;
};

/// An async_chat client that gathers what each terminator ends in `lines`.
class collector : public ac::async_chat {
public:
  collector(ac::socket_map* m, const endpoint& to) : ac::async_chat(m) {
    create_socket(to.family(), SOCK_STREAM);
    connect(to);
  }
  void found_terminator() override { lines.push_back(get_data()); }
  void handle_connect() override { connects++; }
  void handle_close() override {
    closes++;
    close();
  }
  std::string rest() { return get_data(); }

  std::vector<std::string> lines;
  int connects = 0;
  int closes = 0;
};

} // namespace pants::test
