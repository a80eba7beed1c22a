#pragma once

#include "pants/engine/engine.hpp"

#include <atomic>
#include <utility>

namespace pants {

/// Runs a socket's update task in the engine thread: at once when called
/// there, else posted, with at most one posted and not yet run (it covers
/// every request made meanwhile). The task must keep the owner of this
/// object alive (capture its shared_ptr). Safe from any thread.
class coalesced_post {
public:
  template <class F> void operator()(engine& eng, F task) {
    if (eng.in_engine_thread()) {
      task();
      return;
    }
    if (posted_.exchange(true))
      return;
    eng.post([posted = &posted_, task = std::move(task)]() mutable {
      *posted = false;
      task();
    });
  }

private:
  std::atomic<bool> posted_{false};
};

} // namespace pants
