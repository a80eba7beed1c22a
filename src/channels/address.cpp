#include "pants/channels/address.hpp"

#include "pants/channels/errors.hpp"

#include <arpa/inet.h>
#include <cstddef>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

namespace pants {

namespace {

bool host_has_ipv6() {
  static const bool has = [] {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return false;
    ::close(fd);
    return true;
  }();
  return has;
}

// The family of the `size` bytes at `raw`; AF_UNSPEC when they cannot hold
// the family field, or an IPv4 or IPv6 address is cut short.
int family_of(const std::uint8_t* raw, std::size_t size) noexcept {
  sa_family_t f = AF_UNSPEC;
  if (size < sizeof f)
    return AF_UNSPEC;
  std::memcpy(&f, raw + offsetof(sockaddr, sa_family), sizeof f);
  if ((f == AF_INET && size < sizeof(sockaddr_in)) ||
      (f == AF_INET6 && size < sizeof(sockaddr_in6)))
    return AF_UNSPEC;
  return f;
}

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

// AF_INET or AF_INET6 with the address in `v4` or `v6` when `host` is a
// numeric address (IPv6 in brackets or not), else AF_UNSPEC. A NUL byte
// makes it not numeric: inet_pton would stop at it and take what is before.
int parse_host(const std::string& host, in_addr& v4, in6_addr& v6) {
  auto h = strip_brackets(host);
  if (h.find('\0') != std::string::npos)
    return AF_UNSPEC;
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1)
    return AF_INET;
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1)
    return AF_INET6;
  return AF_UNSPEC;
}

} // namespace

std::uint16_t endpoint::check_port(long port) {
  if (port < 0 || port > 65535)
    throw address_error("pants: port " + std::to_string(port) + " is outside 0..65535");
  return static_cast<std::uint16_t>(port);
}

endpoint endpoint::any(long port) {
  auto p = check_port(port);
  endpoint e;
  if (host_has_ipv6()) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(e.data());
    sa->sin6_family = AF_INET6;
    sa->sin6_addr = in6addr_any;
    sa->sin6_port = htons(p);
    e.size_ = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(e.data());
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_ANY);
    sa->sin_port = htons(p);
    e.size_ = sizeof(sockaddr_in);
  }
  return e;
}

bool endpoint::is_numeric_host(const std::string& host) {
  in_addr a4;
  in6_addr a6;
  return parse_host(host, a4, a6) != AF_UNSPEC;
}

endpoint endpoint::numeric(const std::string& host, long port) {
  auto p = check_port(port);
  in_addr a4;
  in6_addr a6;
  endpoint e;
  switch (parse_host(host, a4, a6)) {
  case AF_INET: {
    auto* v4 = reinterpret_cast<sockaddr_in*>(e.data());
    v4->sin_family = AF_INET;
    v4->sin_addr = a4;
    v4->sin_port = htons(p);
    e.size_ = sizeof(sockaddr_in);
    break;
  }
  case AF_INET6: {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(e.data());
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = a6;
    v6->sin6_port = htons(p);
    e.size_ = sizeof(sockaddr_in6);
    break;
  }
  default:
    throw address_error("pants: '" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  return e;
}

std::vector<endpoint> endpoint::resolve(const std::string& host, std::uint16_t port,
                                        std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  auto service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  std::vector<endpoint> out;
  if (rc != 0) {
    error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return out;
  }
  for (auto* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > capacity())
      continue;
    endpoint e;
    std::memcpy(e.data(), ai->ai_addr, ai->ai_addrlen);
    e.size_ = ai->ai_addrlen;
    out.push_back(e);
  }
  ::freeaddrinfo(list);
  if (out.empty())
    error = "cannot resolve '" + host + "': no stream address";
  return out;
}

endpoint endpoint::local_of(int fd) {
  endpoint e;
  e.size_ = capacity();
  if (::getsockname(fd, e.data(), &e.size_) != 0)
    return endpoint{};
  return e;
}

endpoint endpoint::peer_of(int fd) {
  endpoint e;
  e.size_ = capacity();
  if (::getpeername(fd, e.data(), &e.size_) != 0)
    return endpoint{};
  return e;
}

compact_endpoint::compact_endpoint(const endpoint& e) {
  if (e.size() <= small_.size()) {
    std::memcpy(small_.data(), e.data(), e.size());
    size_ = static_cast<std::uint8_t>(e.size());
  } else {
    large_ = std::make_unique<endpoint>(e);
  }
}

endpoint compact_endpoint::get() const {
  if (large_)
    return *large_;
  endpoint e;
  std::memcpy(e.data(), small_.data(), size_);
  e.resize(size_);
  return e;
}

int compact_endpoint::family() const noexcept {
  return large_ ? large_->family() : family_of(small_.data(), size_);
}

int endpoint::family() const noexcept { return family_of(raw_.data(), size_); }

std::uint16_t endpoint::port() const noexcept {
  if (family() == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(data())->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(data())->sin6_port);
  return 0;
}

std::string endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    auto* sa = reinterpret_cast<const sockaddr_in*>(data());
    ::inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    auto* sa = reinterpret_cast<const sockaddr_in6*>(data());
    ::inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port());
  }
  if (family() == AF_UNIX) {
    auto* sa = reinterpret_cast<const sockaddr_un*>(data());
    auto offset = offsetof(sockaddr_un, sun_path);
    if (size_ <= offset)
      return {}; // unnamed
    std::size_t n = size_ - offset;
    if (sa->sun_path[0] == '\0')
      return "@" + std::string(sa->sun_path + 1, n - 1);
    return std::string(sa->sun_path, ::strnlen(sa->sun_path, n));
  }
  return {};
}

endpoint endpoint::unix_socket(const std::string& path) {
  endpoint e;
  auto* sa = reinterpret_cast<sockaddr_un*>(e.data());
  constexpr std::size_t max = sizeof sa->sun_path - 1; // room for the NUL / the leading 0
  bool abstract = !path.empty() && path[0] == '@';
  std::string name = abstract ? path.substr(1) : path;
  if (name.empty())
    throw address_error("pants: a Unix socket address needs a path or an @name");
  if (name.find('\0') != std::string::npos)
    throw address_error("pants: a Unix socket path may not contain a NUL byte");
  if (name.size() > max)
    throw address_error("pants: Unix socket path '" + path + "' is " + std::to_string(name.size()) +
                        " bytes; the limit is " + std::to_string(max));
  sa->sun_family = AF_UNIX;
  auto offset = offsetof(sockaddr_un, sun_path);
  if (abstract) {
    sa->sun_path[0] = '\0';
    std::memcpy(sa->sun_path + 1, name.data(), name.size());
    e.size_ = static_cast<std::uint32_t>(offset + 1 + name.size());
  } else {
    std::memcpy(sa->sun_path, name.data(), name.size());
    e.size_ = static_cast<std::uint32_t>(offset + name.size() + 1);
  }
  return e;
}

endpoint endpoint::for_family(int target) const {
  if (family() == target)
    return *this;
  if (family() == AF_INET && target == AF_INET6) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(data());
    endpoint e;
    auto* v6 = reinterpret_cast<sockaddr_in6*>(e.data());
    v6->sin6_family = AF_INET6;
    v6->sin6_port = v4->sin_port;
    v6->sin6_addr.s6_addr[10] = 0xff;
    v6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
    e.size_ = sizeof(sockaddr_in6);
    return e;
  }
  auto name = [](int f) {
    return f == AF_INET ? "IPv4" : f == AF_INET6 ? "IPv6" : f == AF_UNIX ? "Unix" : "unknown";
  };
  throw address_error("pants: an " + std::string(name(target)) + " socket cannot send to the " +
                      name(family()) + " address '" + to_string() + "'");
}

bool operator==(const endpoint& a, const endpoint& b) noexcept {
  return a.size_ == b.size_ && std::memcmp(a.raw_.data(), b.raw_.data(), a.size_) == 0;
}

std::size_t endpoint::hash() const noexcept {
  std::size_t h = 14695981039346656037ull; // FNV-1a
  for (std::uint32_t i = 0; i < size_; ++i)
    h = (h ^ raw_[i]) * 1099511628211ull;
  return h;
}

} // namespace pants
