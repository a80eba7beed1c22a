#pragma once

#include "pants/engine/backend.hpp"

#include <sys/select.h>
#include <unordered_map>

namespace pants {

/// select(2), as Python's asyncore uses by default. Watches descriptors
/// below FD_SETSIZE only: the engine refuses a larger one with a clear
/// error (`refusal`) instead of overflowing an fd_set. O(n) per wait.
/// Not thread-safe: must be called in the engine thread.
class select_backend final : public backend {
public:
  void add(int fd, std::uint32_t mask, std::uint64_t token) override;
  void modify(int fd, std::uint32_t mask, std::uint64_t token) override;
  void remove(int fd) override;
  void wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) override;
  const char* name() const noexcept override { return "select"; }
  const char* refusal(int fd) const noexcept override;

private:
  struct watched {
    std::uint32_t mask;
    std::uint64_t token;
  };
  std::unordered_map<int, watched> fds_;
};

} // namespace pants
