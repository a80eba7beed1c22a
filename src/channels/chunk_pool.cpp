#include "pants/channels/chunk_pool.hpp"

#include <array>

namespace pants::chunk_pool {

namespace {

struct pool {
  std::array<std::string, slots> items;
  std::size_t count = 0;
  std::size_t bytes = 0; // capacity held
};

thread_local pool local;

} // namespace

std::string take(const char* data, std::size_t n) {
  auto& p = local;
  if (p.count == 0)
    return std::string(data, n);
  std::string s = std::move(p.items[--p.count]);
  p.bytes -= s.capacity();
  s.assign(data, n); // no allocation when it fits, as it does for steady traffic
  return s;
}

void give(std::string&& s) noexcept {
  auto& p = local;
  // A string this short lives inside the object: no buffer to keep.
  auto size = s.capacity();
  if (size <= std::string().capacity() || size > capacity_limit || p.count == slots ||
      p.bytes + size > byte_limit)
    return;
  p.bytes += size;
  p.items[p.count++] = std::move(s);
}

} // namespace pants::chunk_pool
