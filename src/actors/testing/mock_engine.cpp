#include "pants/actors/testing/mock_engine.hpp"

#include "pants/actors/caf_clock.hpp"
#include "pants/actors/datagram.hpp"
#include "pants/actors/detail/environment.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/actors/testing/mock_factory.hpp"
#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <utility>

namespace pants::testing {

namespace {

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  return cfg;
}

} // namespace

// Members are destroyed in reverse order: the actor system last.
struct mock_engine::state {
  caf::actor_system_config cfg;
  caf::actor_system sys{testing_config(cfg)};
  caf::scheduler::test_coordinator& sched{
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())};
  std::shared_ptr<caf_clock> clock = std::make_shared<caf_clock>(sys);
  std::optional<pants::engine> eng{std::in_place, "", clock};
  std::optional<detail::mock_factory> factory{std::in_place, *eng};
  pants::detail::registry actors;
  std::size_t max_rounds;
  std::shared_ptr<stream_server> door; // serves accept(channel)
  std::shared_ptr<stream> door_next;   // the channel it hands out next

  explicit state(std::size_t rounds) : max_rounds(rounds) {}
};

mock_engine::mock_engine(std::size_t max_rounds) : s_(std::make_unique<state>(max_rounds)) {
  pants::detail::environment::bind(*s_->eng,
                                   pants::detail::environment(*s_->factory, s_->sys, s_->actors));
  s_->sched.run(); // starts the clock's actor
}

// Every actor of this system is stopped and has run its exit here, so the
// system's destructor waits for nothing and nothing outside (the global
// registry, the runtime's atexit shutdown) ever holds one of them.
mock_engine::~mock_engine() {
  s_->actors.stop_all();
  run();
  s_->door.reset();
  s_->door_next.reset();
  pants::detail::environment::unbind(*s_->eng);
  s_->factory.reset();
  s_->eng.reset();
  s_->clock.reset(); // asks the clock's actor to exit: run that too
  s_->sched.run();
}

pants::engine& mock_engine::engine() noexcept { return *s_->eng; }
caf::actor_system& mock_engine::system() noexcept { return s_->sys; }

std::size_t mock_engine::run() {
  using namespace std::chrono_literals;
  std::size_t handled = 0;
  for (std::size_t round = 0; round < s_->max_rounds; ++round) {
    s_->eng->poll(0ms);
    auto n = s_->sched.run();
    handled += n;
    if (n == 0)
      break;
  }
  return handled;
}

std::size_t mock_engine::advance_by(duration d) {
  auto& clk = s_->sched.clock();
  auto target = clk.current_time + d;
  std::size_t handled = run();
  while (!clk.schedule().empty() && clk.schedule().begin()->first <= target) {
    auto due = clk.schedule().begin()->first;
    clk.advance_time(due > clk.current_time ? due - clk.current_time : duration{0});
    handled += run();
  }
  if (target > clk.current_time)
    clk.advance_time(target - clk.current_time);
  return handled + run();
}

mock_engine::time_point mock_engine::now() const { return s_->sched.clock().current_time; }

std::size_t mock_engine::pending_wakeups() const { return s_->sched.clock().schedule().size(); }

std::optional<mock_engine::duration> mock_engine::next_wakeup() const {
  auto& clk = s_->sched.clock();
  if (clk.schedule().empty())
    return std::nullopt;
  return clk.schedule().begin()->first - clk.current_time;
}

std::size_t mock_engine::live_actors() const { return s_->actors.size(); }

stream_peer mock_engine::peer(const stream& ch) const {
  auto s = s_->factory->stream_of(&ch);
  if (!s)
    throw state_error("pants::testing: the channel has no socket on this mock engine");
  return stream_peer(std::move(s));
}

listener_peer mock_engine::listener(stream_server& srv) const {
  auto l = s_->factory->listener_of(&srv);
  if (!l)
    throw state_error("pants::testing: the server does not listen on this mock engine");
  return listener_peer(std::move(l), *s_->factory, srv.shared_from_this());
}

datagram_peer mock_engine::peer(const datagram& ch) const {
  auto d = s_->factory->datagram_of(&ch);
  if (!d)
    throw state_error("pants::testing: the datagram channel is not open on this mock engine");
  return datagram_peer(std::move(d));
}

stream_peer mock_engine::accept(const std::shared_ptr<stream>& channel, const std::string& from) {
  if (!channel || &channel->engine() != &*s_->eng)
    throw std::invalid_argument("pants::testing: accept needs a channel made on this mock engine");
  if (!s_->door) {
    s_->door = std::make_shared<stream_server>(
        [s = s_.get()] { return std::exchange(s->door_next, nullptr); }, *s_->eng);
    auto armed = std::exchange(s_->factory->fail_next_listen, 0);
    s_->door->listen(endpoint::numeric("192.0.2.254", 1));
    s_->factory->fail_next_listen = armed;
  }
  s_->door_next = channel;
  auto client = listener(*s_->door).accept(from);
  run();
  return client;
}

void mock_engine::fail_next_connect(int code) { s_->factory->fail_next_connect = code; }
void mock_engine::fail_next_listen(int code) { s_->factory->fail_next_listen = code; }
void mock_engine::fail_next_bind(int code) { s_->factory->fail_next_bind = code; }

void mock_engine::resolves(const std::string& host, std::vector<std::string> addresses) {
  s_->factory->names[host] = std::move(addresses);
}

} // namespace pants::testing
