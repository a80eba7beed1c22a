// docs: hidden {
// The logging block of docs/production.md, compiled (docs_sync_test checks
// that this file, without its hidden lines, is exactly the page's code).
#include <pants/pants.hpp>

#include <cstdio>
#include <string_view>

void logging_example() {
// docs: hidden }
pants::set_log_level(pants::log_level::warning); // drop info (default: info, only debug dropped)
pants::set_log_sink([](pants::log_level level, std::string_view message) {
  // Any thread: the engine's, a CAF worker, the clock's, possibly at once.
  std::fprintf(stderr, "[%s] pants: %.*s\n", pants::to_string(level),
               static_cast<int>(message.size()), message.data());
});
pants::log(pants::log_level::info, "dropped: below the level");
pants::set_log_sink(nullptr); // back to the default: "pants: MESSAGE" on stderr
// docs: hidden {
}
// docs: hidden }
