#pragma once

#include "pants/engine/backend.hpp"

#include <sys/epoll.h>

namespace pants {

/// Linux epoll(7) backend, level-triggered. Owns its epoll descriptor.
/// Not thread-safe: must be called in the engine thread.
class epoll_backend final : public backend {
public:
  /// Throws std::system_error if epoll_create1 fails.
  epoll_backend();
  ~epoll_backend() override;
  epoll_backend(const epoll_backend&) = delete;
  epoll_backend& operator=(const epoll_backend&) = delete;

  void add(int fd, std::uint32_t mask, std::uint64_t token) override;
  void modify(int fd, std::uint32_t mask, std::uint64_t token) override;
  void remove(int fd) override;
  void wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) override;
  const char* name() const noexcept override { return "epoll"; }

private:
  void control(int op, int fd, std::uint32_t mask, std::uint64_t token);

  int epfd_;
  std::vector<epoll_event> events_;
};

} // namespace pants
