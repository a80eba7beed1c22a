#pragma once

#include <cstdint>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace pants {

/// A socket address (IPv4 or IPv6) in the form the socket calls take.
/// A plain value; safe to copy between threads.
class endpoint {
public:
  endpoint() = default;

  /// `port` on all interfaces: `[::]` dual-stack where the host has IPv6,
  /// else `0.0.0.0`. Throws address_error for a port outside 0..65535.
  static endpoint any(long port);

  /// A numeric IPv4 (`127.0.0.1`) or IPv6 (`::1`, `[::1]`) host and a port.
  /// Throws address_error for a bad port or a host that is not numeric;
  /// use `is_numeric_host` first to decide whether to resolve a name.
  static endpoint numeric(const std::string& host, long port);

  /// True when `host` is a numeric IPv4 or IPv6 address.
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

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return size_; }
  int family() const noexcept { return storage_.ss_family; }
  std::uint16_t port() const noexcept;

  /// `127.0.0.1:4000`, `[::1]:4000`; empty for an empty endpoint.
  std::string to_string() const;

private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

} // namespace pants
