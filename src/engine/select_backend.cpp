#include "pants/engine/select_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace pants {

const char* select_backend::refusal(int fd) const noexcept {
  if (fd < 0 || fd >= FD_SETSIZE)
    return "the select backend watches only descriptors below FD_SETSIZE (1024); use the epoll "
           "or poll backend (PANTS_BACKEND) for more";
  return nullptr;
}

void select_backend::add(int fd, std::uint32_t mask, std::uint64_t token) {
  if (auto why = refusal(fd))
    throw std::system_error(EMFILE, std::generic_category(), why);
  if (!fds_.emplace(fd, watched{mask, token}).second)
    throw std::system_error(EEXIST, std::generic_category(), "select_backend::add");
}

void select_backend::modify(int fd, std::uint32_t mask, std::uint64_t token) {
  auto i = fds_.find(fd);
  if (i == fds_.end())
    throw std::system_error(ENOENT, std::generic_category(), "select_backend::modify");
  i->second = watched{mask, token};
}

void select_backend::remove(int fd) { fds_.erase(fd); }

void select_backend::wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) {
  fd_set readable, writable, exceptional;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_ZERO(&exceptional);
  int top = -1;
  for (const auto& [fd, w] : fds_) {
    if (w.mask & io_event::readable)
      FD_SET(fd, &readable);
    if (w.mask & io_event::priority)
      FD_SET(fd, &exceptional); // out-of-band data, as asyncore's handle_expt
    if (w.mask & io_event::writable)
      FD_SET(fd, &writable);
    top = std::max(top, fd);
  }
  timeval tv{};
  timeval* wait_for = nullptr;
  if (timeout.count() >= 0) {
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    wait_for = &tv;
  }
  int n = ::select(top + 1, &readable, &writable, &exceptional, wait_for);
  if (n < 0) {
    if (errno == EINTR)
      return;
    throw std::system_error(errno, std::generic_category(), "select");
  }
  for (const auto& [fd, w] : fds_) {
    if (n == 0)
      break;
    std::uint32_t mask = 0;
    if (FD_ISSET(fd, &readable))
      mask |= io_event::readable;
    if (FD_ISSET(fd, &exceptional))
      mask |= io_event::priority;
    if (FD_ISSET(fd, &writable))
      mask |= io_event::writable;
    if (mask != 0) {
      out.push_back({w.token, mask});
      --n;
    }
  }
}

} // namespace pants
