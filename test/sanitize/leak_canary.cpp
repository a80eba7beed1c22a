// Leaks on purpose: in the sanitizer build, ctest's leak_checker_is_on
// passes only if LeakSanitizer reports these leaks, showing that the
// suite's sanitizer pass checks for leaks at every test's exit.
#include <cstdio>
#include <cstring>

namespace {
// Out of line, so no pointer to the blocks is left in main's frame.
__attribute__((noinline)) std::size_t lose_blocks() {
  std::size_t written = 0;
  for (int i = 0; i < 10; ++i) {
    auto* lost = new char[1024];
    std::memset(lost, 'x', 1024);
    written += static_cast<std::size_t>(std::snprintf(lost, 1024, "block %d", i));
  }
  return written; // every pointer to them is gone
}
} // namespace

int main() {
  std::printf("%zu bytes written to blocks never freed\n", lose_blocks());
  return 0;
}
