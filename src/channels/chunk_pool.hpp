#pragma once

#include <cstddef>
#include <string>

/// Strings for the bytes of `chunk_msg`s, reused per thread. A channel
/// gives a chunk's string back once it has framed it; the next read on the
/// same thread fills that string again instead of allocating one (with
/// inline handlers, reads and handlers share the engine thread). Bounded:
/// a few strings per thread, none larger than `capacity_limit`.
namespace pants::chunk_pool {

inline constexpr std::size_t slots = 256;
inline constexpr std::size_t capacity_limit = 16 * 1024;
inline constexpr std::size_t byte_limit = 256 * 1024;

/// A string holding `data[0, n)`, from this thread's pool when it has one.
std::string take(const char* data, std::size_t n);

/// Keeps `s`'s buffer for this thread's next `take` (or frees it: pool full,
/// too large, or too small to have a buffer).
void give(std::string&& s) noexcept;

} // namespace pants::chunk_pool
