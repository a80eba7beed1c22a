#pragma once

#include "pants/engine/backend.hpp"

#include <poll.h>
#include <unordered_map>

namespace pants {

/// Portable poll(2) backend. Keeps a dense pollfd array plus an index from
/// descriptor to slot, so add/modify/remove are O(1) and wait is O(n).
/// Not thread-safe: must be called in the engine thread.
class poll_backend final : public backend {
public:
  void add(int fd, std::uint32_t mask, std::uint64_t token) override;
  void modify(int fd, std::uint32_t mask, std::uint64_t token) override;
  void remove(int fd) override;
  void wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) override;
  const char* name() const noexcept override { return "poll"; }

private:
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> tokens_;
  std::unordered_map<int, std::size_t> slot_;
};

} // namespace pants
