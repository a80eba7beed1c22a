// many_clients PORT N: opens N connections to 127.0.0.1:PORT and holds them
// all open at once, sends each its own 8-byte id, reads every echo back and
// checks it, then closes them all. Prints "ok N" and exits 0, or names what
// failed and exits 1. A process of its own, so the N client descriptors do
// not count against the server's limit. Every wait is bounded (SO_RCVTIMEO,
// SO_SNDTIMEO: 10 s).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace {
int fail(const std::string& what) {
  std::fprintf(stderr, "many_clients: %s: %s\n", what.c_str(), std::strerror(errno));
  return 1;
}
} // namespace

int main(int argc, char** argv) {
  if (argc != 3)
    return 2;
  // ids are 8 digits: at most 10^8 connections
  auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  auto n = static_cast<std::size_t>(std::atol(argv[2]));
  if (n > 99999999)
    return 2;
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < n + 16) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval patience{10, 0};
  std::vector<int> fds;
  fds.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return fail("socket " + std::to_string(i));
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
      return fail("connect " + std::to_string(i));
    fds.push_back(fd);
  }
  char id[24];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(id, sizeof id, "%08zu", i);
    if (::send(fds[i], id, 8, MSG_NOSIGNAL) != 8)
      return fail("send " + std::to_string(i));
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(id, sizeof id, "%08zu", i);
    char back[8];
    std::size_t got = 0;
    while (got < 8) {
      auto r = ::recv(fds[i], back + got, 8 - got, 0);
      if (r <= 0)
        return fail("recv " + std::to_string(i));
      got += static_cast<std::size_t>(r);
    }
    if (std::memcmp(back, id, 8) != 0) {
      std::fprintf(stderr, "many_clients: connection %zu got the wrong bytes\n", i);
      return 1;
    }
  }
  for (int fd : fds)
    ::close(fd);
  std::printf("ok %zu\n", n);
  return 0;
}
