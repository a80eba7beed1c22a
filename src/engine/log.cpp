#include "pants/engine/log.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

namespace pants {

namespace {

struct sink_holder {
  std::mutex mtx;
  std::shared_ptr<const log_sink> sink; // null: the default
};

sink_holder& holder() {
  static auto* h = new sink_holder(); // never destroyed: reports may come at exit
  return *h;
}

std::atomic<log_level> threshold{log_level::info};

void to_stderr(std::string_view message) noexcept {
  std::fprintf(stderr, "pants: %.*s\n", static_cast<int>(message.size()), message.data());
}

} // namespace

const char* to_string(log_level level) noexcept {
  switch (level) {
  case log_level::debug:
    return "debug";
  case log_level::info:
    return "info";
  case log_level::warning:
    return "warning";
  case log_level::error:
    return "error";
  }
  return "unknown";
}

log_sink set_log_sink(log_sink sink) {
  auto next = sink ? std::make_shared<const log_sink>(std::move(sink)) : nullptr;
  auto& h = holder();
  std::shared_ptr<const log_sink> previous;
  {
    std::lock_guard<std::mutex> guard(h.mtx);
    previous = std::exchange(h.sink, std::move(next));
  }
  return previous ? *previous : log_sink();
}

void set_log_level(log_level least) noexcept { threshold = least; }

log_level log_threshold() noexcept { return threshold.load(); }

bool log_enabled(log_level level) noexcept { return level >= threshold.load(); }

void log(log_level level, std::string_view message) noexcept {
  if (!log_enabled(level))
    return;
  std::shared_ptr<const log_sink> sink;
  {
    auto& h = holder();
    std::lock_guard<std::mutex> guard(h.mtx);
    sink = h.sink;
  }
  if (!sink) {
    to_stderr(message);
    return;
  }
  try {
    (*sink)(level, message);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pants: the log sink threw (%s) on: %.*s\n", e.what(),
                 static_cast<int>(message.size()), message.data());
  } catch (...) {
    std::fprintf(stderr, "pants: the log sink threw on: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  }
}

} // namespace pants
