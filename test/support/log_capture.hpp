#pragma once

// Installs a log sink that keeps every report (level and message) while
// alive; the default sink (stderr) is back on destruction.

#include "pants/engine/log.hpp"

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pants::test {

class log_capture {
public:
  using entry = std::pair<log_level, std::string>;

  log_capture() { set_log_sink(sink()); }
  ~log_capture() { set_log_sink(nullptr); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  /// A sink that keeps reports here (for installing again after a swap).
  log_sink sink() {
    return [this](log_level level, std::string_view message) {
      std::lock_guard<std::mutex> guard(mtx_);
      entries_.emplace_back(level, std::string(message));
    };
  }

  std::vector<entry> entries() {
    std::lock_guard<std::mutex> guard(mtx_);
    return entries_;
  }

  /// How many reports at `level` contain `part`.
  std::size_t count(log_level level, const std::string& part) {
    std::lock_guard<std::mutex> guard(mtx_);
    std::size_t n = 0;
    for (auto& [l, m] : entries_)
      n += l == level && m.find(part) != std::string::npos;
    return n;
  }

private:
  std::mutex mtx_;
  std::vector<entry> entries_;
};

} // namespace pants::test
