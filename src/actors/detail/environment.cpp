#include "pants/actors/detail/environment.hpp"

#include "pants/actors/detail/registry.hpp"
#include "pants/actors/runtime.hpp"
#include "pants/channels/socket_factory.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace pants::detail {

namespace {

struct bindings {
  std::mutex mtx;
  std::unordered_map<const engine*, environment> map;
  std::atomic<bool> any{false}; // lets `of` skip the lock when nothing is bound
};

bindings& all() {
  static auto* b = new bindings(); // never destroyed: channels may be made at exit
  return *b;
}

} // namespace

environment environment::of(const engine& eng) {
  auto& b = all();
  if (!b.any.load(std::memory_order_acquire))
    return {};
  std::lock_guard<std::mutex> guard(b.mtx);
  auto i = b.map.find(&eng);
  return i == b.map.end() ? environment() : i->second;
}

void environment::bind(const engine& eng, const environment& env) {
  auto& b = all();
  std::lock_guard<std::mutex> guard(b.mtx);
  b.map[&eng] = env;
  b.any.store(true, std::memory_order_release);
}

void environment::unbind(const engine& eng) {
  auto& b = all();
  std::lock_guard<std::mutex> guard(b.mtx);
  b.map.erase(&eng);
  b.any.store(!b.map.empty(), std::memory_order_release);
}

socket_factory& environment::sockets() const {
  return sockets_ != nullptr ? *sockets_ : socket_factory::real();
}

caf::actor_system& environment::system() const {
  return system_ != nullptr ? *system_ : pants::actor_system();
}

registry& environment::actors() const {
  return actors_ != nullptr ? *actors_ : registry::instance();
}

} // namespace pants::detail
