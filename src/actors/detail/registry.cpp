#include "pants/actors/detail/registry.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <vector>

namespace pants::detail {

registry& registry::instance() {
  static registry r;
  return r;
}

void registry::add_entry(const caf::actor& a, const engine& eng, std::function<void()> close) {
  std::lock_guard<std::mutex> guard(mtx_);
  actors_.emplace(a.id(), entry{a, &eng, std::move(close)});
}

void registry::remove(caf::actor_id id) {
  entry dropped; // released after the lock
  {
    std::lock_guard<std::mutex> guard(mtx_);
    auto i = actors_.find(id);
    if (i == actors_.end())
      return;
    dropped = std::move(i->second);
    actors_.erase(i);
  }
  gone_.notify_all();
}

void registry::close_on(const engine& eng) {
  std::vector<std::function<void()>> closes;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    for (auto& [id, e] : actors_)
      if (e.eng == &eng && !e.closing) {
        e.closing = true; // once: a later call closes only what was made since
        closes.push_back(e.close);
      }
  }
  for (auto& close : closes)
    close();
}

bool registry::wait_gone(const engine& eng, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mtx_);
  return gone_.wait_until(lock, deadline, [&] { return count_locked(eng) == 0; });
}

std::size_t registry::count_on(const engine& eng) const {
  std::lock_guard<std::mutex> guard(mtx_);
  return count_locked(eng);
}

std::size_t registry::count_locked(const engine& eng) const {
  std::size_t n = 0;
  for (auto& [id, e] : actors_)
    n += e.eng == &eng;
  return n;
}

std::size_t registry::size() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return actors_.size();
}

void registry::stop_all() {
  std::unordered_map<caf::actor_id, entry> all;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    all.swap(actors_);
  }
  gone_.notify_all();
  for (auto& [id, e] : all)
    caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
}

} // namespace pants::detail
