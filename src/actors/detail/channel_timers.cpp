#include "pants/actors/detail/channel_timers.hpp"

#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/send.hpp>

#include <algorithm>

// Local only: carries a shared pointer, never serialised.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pants::detail::channel_timer_msg)

namespace pants::detail {

namespace {

void send_run(const caf::weak_actor_ptr& target, channel_timer_msg msg) {
  if (auto a = caf::actor_cast<caf::actor>(target.lock()))
    caf::anon_send(a, std::move(msg));
}

} // namespace

void channel_timers::check_open() const {
  // Read under the lock: cancel_all sets the flag, then takes the lock if
  // the list exists, so a timer is either refused here or cancelled there.
  if (closed_)
    throw state_error("pants: timer on a closed channel");
}

std::shared_ptr<timer_record> channel_timers::track(timer_fn&& fn, bool one_shot) {
  auto record = std::make_shared<timer_record>(std::move(fn), duration{0}, one_shot);
  auto& l = the_list();
  std::lock_guard<std::mutex> guard(l.mtx);
  check_open();
  // Forget finished timers once the list has doubled, so a channel that
  // schedules many callbacks keeps a list of its live ones only.
  if (l.records.size() >= 16 && l.records.size() == l.records.capacity())
    l.records.erase(std::remove_if(l.records.begin(), l.records.end(),
                                   [](const auto& w) {
                                     auto r = w.lock();
                                     return !r || r->cancelled();
                                   }),
                    l.records.end());
  l.records.push_back(record);
  return record;
}

timer channel_timers::add_callback(const caf::actor& target, timer_fn&& fn) {
  auto record = track(std::move(fn), true);
  caf::anon_send(target, channel_timer_msg{record, nullptr});
  return timer(record);
}

timer channel_timers::add_loop(engine& eng, const caf::actor& target, timer_fn&& fn) {
  auto record = track(std::move(fn), false);
  auto pending = std::make_shared<std::atomic<bool>>(false);
  // An engine loop that hands the channel one run per iteration (skipping
  // iterations while the previous run is still queued), and ends itself
  // once the channel's timer is cancelled.
  auto self = std::make_shared<timer>();
  *self = eng.loop([record, pending, self, weak = caf::actor_cast<caf::weak_actor_ptr>(target)] {
    if (record->cancelled()) {
      self->cancel();
      return;
    }
    if (!pending->exchange(true))
      send_run(weak, channel_timer_msg{record, pending});
  });
  return timer(record);
}

timer channel_timers::add_timed(engine& eng, const caf::actor& target, duration delay,
                                duration interval, timer_fn&& fn) {
  auto& l = the_list();
  std::lock_guard<std::mutex> guard(l.mtx);
  check_open();
  if (!l.queue)
    // A wake-up is a message to the channel's actor.
    l.queue = std::make_shared<timer_queue>(
        eng.shared_clock(), [weak = caf::actor_cast<caf::weak_actor_ptr>(target)](
                                std::chrono::steady_clock::time_point at) {
          send_run(weak, channel_timer_msg{nullptr, nullptr, at});
        });
  return timer(l.queue->add(std::move(fn), delay, interval));
}

void channel_timers::run_due(const channel_timer_msg& m,
                             const timer_record::error_handler& on_error) {
  // The queue exists: it asked for this wake-up. Only this actor resets it.
  auto& q = *list_.load()->queue;
  q.woken(m.woken);
  q.run_due(on_error);
}

channel_timers::list& channel_timers::the_list() {
  if (auto* l = list_.load())
    return *l;
  auto fresh = std::make_unique<list>();
  list* expected = nullptr;
  if (list_.compare_exchange_strong(expected, fresh.get()))
    return *fresh.release();
  return *expected; // another thread made it first
}

void channel_timers::cancel_all() {
  closed_ = true;
  auto* l = list_.load();
  if (l == nullptr)
    return; // no timer was ever made; none can be now
  std::vector<std::weak_ptr<timer_record>> all;
  std::shared_ptr<timer_queue> queue;
  {
    std::lock_guard<std::mutex> guard(l->mtx);
    all.swap(l->records);
    queue = l->queue;
  }
  for (auto& w : all)
    if (auto r = w.lock())
      r->cancel();
  if (queue)
    queue->cancel_all();
}

} // namespace pants::detail
