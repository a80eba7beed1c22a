#include "pants/actors/runtime.hpp"

#include "pants/actors/detail/engine_unit.hpp"
#include "pants/actors/detail/environment.hpp"
#include "pants/actors/detail/quiet_clock.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/channels/errors.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace pants {

namespace {

std::size_t from_env(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    return fallback;
  char* end = nullptr;
  auto n = std::strtoul(v, &end, 10);
  return *end == '\0' && n > 0 ? n : fallback;
}

std::string from_env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

void check_inline(const std::string& mode) {
  if (mode != "auto" && mode != "never")
    throw std::invalid_argument("pants: unknown inline_handlers '" + mode +
                                "' (expected auto or never)");
}

struct runtime_state {
  std::mutex mtx;
  runtime_options options;
  bool started = false;
};

runtime_state& state() {
  static runtime_state s;
  return s;
}

// The system and its configuration live together. It is shut down from an
// atexit handler registered after it started (so CAF's own lazily made
// statics still exist), on a fresh thread: by then the main thread's
// thread-locals are gone, and ~actor_system run on it crashes (seen with
// CAF 0.17.6). Shutting down first stops the channel actors still alive (an
// application returning from main with channels open), because
// ~actor_system waits for every actor.
struct runtime_holder {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  bool inline_handlers = false;

  explicit runtime_holder(const runtime_options& opts) {
    detail::registry::instance(); // made before the atexit handler: outlives it
    auto cores = std::max(1u, std::thread::hardware_concurrency());
    auto workers = opts.workers ? opts.workers : from_env("PANTS_WORKERS", cores);
    std::string sched = opts.scheduler;
    if (sched.empty()) {
      const char* env = std::getenv("PANTS_SCHEDULER");
      sched = env != nullptr && *env != '\0' ? env : "sharing";
    }
    if (sched != "stealing" && sched != "sharing")
      throw std::invalid_argument("pants: unknown scheduler '" + sched +
                                  "' (expected stealing or sharing)");
    auto mode =
        opts.inline_handlers.empty() ? from_env("PANTS_INLINE", "auto") : opts.inline_handlers;
    check_inline(mode);
    inline_handlers = mode == "auto";
    auto throughput = opts.max_throughput ? opts.max_throughput : 64;
    cfg.set("scheduler.max-threads", workers);
    cfg.set("scheduler.max-throughput", throughput);
    // The scheduler module, CAF's coordinator with a quieter clock
    // (detail/quiet_clock.hpp); CAF uses it instead of making its own.
    if (sched == "sharing")
      cfg.module_factories.emplace_back([](caf::actor_system& s) -> caf::actor_system::module* {
        return new detail::quiet_coordinator<caf::policy::work_sharing>(s);
      });
    else
      cfg.module_factories.emplace_back([](caf::actor_system& s) -> caf::actor_system::module* {
        return new detail::quiet_coordinator<caf::policy::work_stealing>(s);
      });
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  void shutdown() {
    auto& eng = engine::instance();
    if (detail::registry::instance().count_on(eng) > 0) {
      try {
        pants::shutdown(eng);
      } catch (const std::exception& e) { // not expected: say so, and stop the actors below
        std::fprintf(stderr, "pants: at exit: %s\n", e.what());
      }
    }
    detail::registry::instance().stop_all();
    sys.reset();
  }
};

runtime_holder* holder = nullptr;

} // namespace

void configure(const runtime_options& options) {
  auto& s = state();
  std::lock_guard<std::mutex> guard(s.mtx);
  if (s.started)
    throw state_error("pants::configure: the runtime is already running");
  if (!options.scheduler.empty() && options.scheduler != "stealing" &&
      options.scheduler != "sharing")
    throw std::invalid_argument("pants: unknown scheduler '" + options.scheduler + "'");
  if (!options.inline_handlers.empty())
    check_inline(options.inline_handlers);
  s.options = options;
}

caf::actor_system& actor_system() {
  static const bool started = [] {
    runtime_options options;
    {
      auto& s = state();
      std::lock_guard<std::mutex> guard(s.mtx);
      s.started = true;
      options = s.options;
    }
    holder = new runtime_holder(options);
    // Made before the atexit handler, so it outlives it: the handler shuts
    // down what is left open on it.
    engine::instance();
    std::atexit([] { std::thread([] { holder->shutdown(); }).join(); });
    return true;
  }();
  (void)started;
  return *holder->sys;
}

bool shutdown(engine& eng, std::chrono::milliseconds grace) {
  if (grace.count() <= 0)
    throw std::invalid_argument("pants::shutdown: the grace time must be positive, not " +
                                std::to_string(grace.count()) + " ms");
  if (eng.polled_by_this_thread())
    throw state_error("pants::shutdown: called on the thread that polls the engine (a handler "
                      "run there, or the engine thread): it would wait for itself; call it "
                      "after start() returns, or from another thread");
  auto env = detail::environment::of(eng);
  if (!env.is_default())
    throw state_error("pants::shutdown: a mock engine's channels are closed with close() and "
                      "run by the mock");
  auto& actors = env.actors();
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + grace;
  // How often a channel made meanwhile is looked for (and, polling, how
  // long one wait for I/O lasts: an on_close on a worker wakes no poll).
  constexpr auto slice = std::chrono::milliseconds(5);
  // Posted, also when this thread polls below: after the loops and
  // prepares whose adding is still queued.
  eng.post([&eng] { eng.cancel_timers(); });
  if (eng.polled()) {
    bool gone = false;
    do {
      actors.close_on(eng);
      gone = actors.wait_gone(eng, std::min(deadline, clock::now() + slice));
    } while (!gone && clock::now() < deadline);
    eng.stop();
    return gone;
  }
  bool gone = false;
  do { // at least one iteration: it runs the closes and the cancel
    actors.close_on(eng);
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    eng.poll(std::clamp(left, std::chrono::milliseconds(0), slice));
    gone = actors.count_on(eng) == 0;
  } while (!gone && clock::now() < deadline);
  return gone;
}

bool shutdown(std::chrono::milliseconds grace) { return shutdown(engine::instance(), grace); }

namespace detail {

bool inline_handlers_enabled() {
  pants::actor_system(); // the runtime, and with it the option, on first use
  return holder->inline_handlers;
}

} // namespace detail

} // namespace pants
