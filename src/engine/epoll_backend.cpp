#include "pants/engine/epoll_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <unistd.h>

namespace pants {

namespace {

std::uint32_t to_epoll(std::uint32_t mask) {
  std::uint32_t ev = 0;
  if (mask & io_event::readable)
    ev |= EPOLLIN | EPOLLRDHUP;
  if (mask & io_event::writable)
    ev |= EPOLLOUT;
  if (mask & io_event::priority)
    ev |= EPOLLPRI;
  return ev;
}

std::uint32_t from_epoll(std::uint32_t ev) {
  std::uint32_t mask = 0;
  if (ev & (EPOLLIN | EPOLLRDHUP))
    mask |= io_event::readable;
  if (ev & EPOLLPRI)
    mask |= io_event::priority;
  if (ev & EPOLLOUT)
    mask |= io_event::writable;
  if (ev & EPOLLERR)
    mask |= io_event::error;
  if (ev & EPOLLHUP)
    mask |= io_event::hangup;
  return mask;
}

} // namespace

epoll_backend::epoll_backend() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epfd_ < 0)
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

epoll_backend::~epoll_backend() { ::close(epfd_); }

void epoll_backend::control(int op, int fd, std::uint32_t mask, std::uint64_t token) {
  epoll_event ev{};
  ev.events = to_epoll(mask);
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_, op, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

void epoll_backend::add(int fd, std::uint32_t mask, std::uint64_t token) {
  control(EPOLL_CTL_ADD, fd, mask, token);
}

void epoll_backend::modify(int fd, std::uint32_t mask, std::uint64_t token) {
  control(EPOLL_CTL_MOD, fd, mask, token);
}

void epoll_backend::remove(int fd) {
  epoll_event ev{};
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev); // ENOENT/EBADF: already gone, nothing to undo
}

void epoll_backend::wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) {
  int ms =
      timeout.count() < 0 ? -1 : static_cast<int>(std::min<long long>(timeout.count(), 1 << 30));
  int n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), ms);
  if (n < 0) {
    if (errno == EINTR)
      return;
    throw std::system_error(errno, std::generic_category(), "epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    const auto& ev = events_[static_cast<std::size_t>(i)];
    out.push_back({ev.data.u64, from_epoll(ev.events)});
  }
}

} // namespace pants
