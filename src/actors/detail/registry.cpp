#include "pants/actors/detail/registry.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace pants::detail {

registry& registry::instance() {
  static registry r;
  return r;
}

void registry::add(const caf::actor& a) {
  std::lock_guard<std::mutex> guard(mtx_);
  actors_.emplace(a.id(), a);
}

void registry::remove(caf::actor_id id) {
  caf::actor dropped;
  std::lock_guard<std::mutex> guard(mtx_);
  auto i = actors_.find(id);
  if (i != actors_.end()) {
    dropped = std::move(i->second);
    actors_.erase(i);
  }
}

std::size_t registry::size() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return actors_.size();
}

void registry::stop_all() {
  std::unordered_map<caf::actor_id, caf::actor> all;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    all.swap(actors_);
  }
  for (auto& [id, a] : all)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace pants::detail
