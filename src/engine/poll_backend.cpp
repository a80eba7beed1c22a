#include "pants/engine/poll_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace pants {

namespace {

short to_poll(std::uint32_t mask) {
  int ev = 0;
  if (mask & io_event::readable)
    ev |= POLLIN | POLLRDHUP;
  if (mask & io_event::writable)
    ev |= POLLOUT;
  if (mask & io_event::priority)
    ev |= POLLPRI;
  return static_cast<short>(ev);
}

std::uint32_t from_poll(int ev) {
  std::uint32_t mask = 0;
  if (ev & (POLLIN | POLLRDHUP))
    mask |= io_event::readable;
  if (ev & POLLPRI)
    mask |= io_event::priority;
  if (ev & POLLOUT)
    mask |= io_event::writable;
  if (ev & (POLLERR | POLLNVAL))
    mask |= io_event::error;
  if (ev & POLLHUP)
    mask |= io_event::hangup;
  return mask;
}

} // namespace

void poll_backend::add(int fd, std::uint32_t mask, std::uint64_t token) {
  if (slot_.count(fd) != 0)
    throw std::system_error(EEXIST, std::generic_category(), "poll_backend::add");
  slot_.emplace(fd, fds_.size());
  fds_.push_back({fd, to_poll(mask), 0});
  tokens_.push_back(token);
}

void poll_backend::modify(int fd, std::uint32_t mask, std::uint64_t token) {
  auto i = slot_.find(fd);
  if (i == slot_.end())
    throw std::system_error(ENOENT, std::generic_category(), "poll_backend::modify");
  fds_[i->second].events = to_poll(mask);
  tokens_[i->second] = token;
}

void poll_backend::remove(int fd) {
  auto i = slot_.find(fd);
  if (i == slot_.end())
    return;
  // Swap the last slot into the hole to keep the array dense.
  std::size_t hole = i->second;
  std::size_t last = fds_.size() - 1;
  if (hole != last) {
    fds_[hole] = fds_[last];
    tokens_[hole] = tokens_[last];
    slot_[fds_[hole].fd] = hole;
  }
  fds_.pop_back();
  tokens_.pop_back();
  slot_.erase(i);
}

void poll_backend::wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) {
  int ms =
      timeout.count() < 0 ? -1 : static_cast<int>(std::min<long long>(timeout.count(), 1 << 30));
  int n = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), ms);
  if (n < 0) {
    if (errno == EINTR)
      return;
    throw std::system_error(errno, std::generic_category(), "poll");
  }
  for (std::size_t i = 0; i < fds_.size() && n > 0; ++i) {
    if (fds_[i].revents != 0) {
      out.push_back({tokens_[i], from_poll(fds_[i].revents)});
      --n;
    }
  }
}

} // namespace pants
