#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace pants {

/// A socket address (IPv4, IPv6 or Unix) in the form the socket calls take.
/// A plain value; safe to copy between threads; compares by address.
class endpoint {
public:
  endpoint() = default;

  /// A Unix socket address: a filesystem path, or `@name` for a name in
  /// Linux's abstract namespace (no file). Throws address_error for an
  /// empty path, a path with a NUL byte, or one longer than the platform
  /// allows (107 bytes here): never truncated.
  static endpoint unix_socket(const std::string& path);

  /// `port` on all interfaces: `[::]` dual-stack where the host has IPv6,
  /// else `0.0.0.0`. Throws address_error for a port outside 0..65535.
  static endpoint any(long port);

  /// A numeric IPv4 (`127.0.0.1`) or IPv6 (`::1`, `[::1]`) host and a port.
  /// Throws address_error for a bad port or a host that is not numeric (one
  /// with a NUL byte is not: never cut short at it); use `is_numeric_host`
  /// first to decide whether to resolve a name.
  static endpoint numeric(const std::string& host, long port);

  /// True when `host` is a numeric IPv4 or IPv6 address (false when a NUL
  /// byte follows one).
  static bool is_numeric_host(const std::string& host);

  /// Throws address_error unless 0 <= port <= 65535.
  static std::uint16_t check_port(long port);

  /// Resolves `host` with getaddrinfo (blocking: never call in the engine
  /// thread). Returns every stream address, in the resolver's order; empty
  /// with `error` set when the name does not resolve.
  static std::vector<endpoint> resolve(const std::string& host, std::uint16_t port,
                                       std::string& error);

  /// The local or peer address of a socket; an empty endpoint on failure.
  static endpoint local_of(int fd);
  static endpoint peer_of(int fd);

  /// This address as a destination for a socket of `family`: an IPv4
  /// address becomes its IPv4-mapped IPv6 form for an AF_INET6 socket.
  /// Throws address_error when the socket cannot reach it (IPv6 from an
  /// IPv4 socket, Unix from a network socket, ...).
  endpoint for_family(int family) const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(raw_.data()); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(raw_.data()); }
  socklen_t size() const noexcept { return size_; }
  /// Sets the length after a call such as recvfrom filled `data()`.
  void resize(socklen_t n) noexcept { size_ = n <= raw_.size() ? n : 0; }
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

  /// AF_INET, AF_INET6, AF_UNIX; AF_UNSPEC for an empty endpoint and for
  /// one too short for its family's address (a length set by `resize`):
  /// bytes past the length are never read as part of the address.
  int family() const noexcept;
  bool empty() const noexcept { return size_ == 0; }
  /// The port of a network address; 0 for a Unix one or no address.
  std::uint16_t port() const noexcept;

  /// `127.0.0.1:4000`, `[::1]:4000`, `/run/app.sock`, `@name`; empty for
  /// an empty endpoint or an unnamed Unix socket.
  std::string to_string() const;

  friend bool operator==(const endpoint& a, const endpoint& b) noexcept;
  friend bool operator!=(const endpoint& a, const endpoint& b) noexcept { return !(a == b); }

  /// A hash of the address bytes, for unordered containers.
  std::size_t hash() const noexcept;

  template <class Inspector> friend auto inspect(Inspector& f, endpoint& x) {
    return f(x.raw_, x.size_);
  }

private:
  alignas(sockaddr_storage) std::array<std::uint8_t, sizeof(sockaddr_storage)> raw_{};
  std::uint32_t size_ = 0;
};

/// An endpoint kept in the room it needs, for objects that hold addresses
/// per connection: inline up to the size of an IPv6 address (28 bytes), on
/// the heap beyond (Unix paths). 40 bytes against an endpoint's 136.
class compact_endpoint {
public:
  compact_endpoint() = default;
  explicit compact_endpoint(const endpoint& e);
  compact_endpoint(const compact_endpoint&) = delete;
  compact_endpoint& operator=(const compact_endpoint&) = delete;
  compact_endpoint(compact_endpoint&&) noexcept = default;
  compact_endpoint& operator=(compact_endpoint&&) noexcept = default;

  /// The endpoint as given.
  endpoint get() const;
  int family() const noexcept;

private:
  std::array<std::uint8_t, sizeof(sockaddr_in6)> small_{};
  std::uint8_t size_ = 0;           // bytes in small_ (0: empty, or in large_)
  std::unique_ptr<endpoint> large_; // addresses longer than small_
};

/// A Unix socket address: `pants::unix_path("/run/app.sock")`, or
/// `unix_path("@name")` for Linux's abstract namespace. Throws as
/// `endpoint::unix_socket`.
inline endpoint unix_path(const std::string& path) { return endpoint::unix_socket(path); }

} // namespace pants
