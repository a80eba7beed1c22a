#include "pants/engine/timer_queue.hpp"

#include "pants/engine/clock_service.hpp"

#include <algorithm>

namespace pants::detail {

namespace {
constexpr auto no_wake = std::chrono::steady_clock::time_point::min();
constexpr auto never = std::chrono::steady_clock::duration::max();
} // namespace

std::shared_ptr<timer_record> timer_queue::add(timer_fn&& fn, clock::duration delay,
                                               clock::duration interval) {
  // Not one-shot for the record itself: after a defer's run this queue
  // releases the function, unless the run restarted it.
  auto r = std::make_shared<timer_record>(std::move(fn), interval);
  r->queue_ = weak_from_this();
  r->delay_ = delay;
  auto clk = clock_.lock();
  if (delay == never || !clk)
    return r; // centuries away (or no clock left): never fires, never overflows
  auto due = clk->now() + delay;
  clock::time_point at;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    push(r, due);
    at = needed_wake();
  }
  ask(*clk, at);
  return r;
}

timer_queue::~timer_queue() {
  for (auto& s : heap_) { // the records' holds on themselves
    s.rec->slot_ = timer_record::finished;
    auto drop = std::move(s.rec->queued_);
  }
}

void timer_queue::woken(clock::time_point at) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (auto it = asked_.find(at); it != asked_.end())
    asked_.erase(it);
}

void timer_queue::run_due(const timer_record::error_handler& on_error) {
  auto clk = clock_.lock();
  if (!clk)
    return;
  auto now = clk->now();
  // The turn's due timers leave the heap under one lock, run outside it,
  // and come back (cycles, restarts) under one more. A timer restarted or
  // cancelled before its turn in the batch (by an earlier one, or another
  // thread) finds its `running` mark, so it is skipped, and re-queued at its
  // new deadline or dropped.
  std::vector<std::shared_ptr<timer_record>> batch;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    batch.reserve(std::min(turn_budget, heap_.size()));
    while (batch.size() < turn_budget && !heap_.empty() && heap_[0].due <= now) {
      batch.push_back(take(0));
      batch.back()->slot_ = timer_record::running;
    }
  }
  std::size_t ran = 0; // batch[0, ran) have had their turn
  try {
    for (; ran < batch.size(); ++ran) {
      auto& r = *batch[ran];
      if (!r.restart_pending_.load(std::memory_order_acquire))
        r.run(on_error); // may add, restart or cancel timers, this one included
    }
  } catch (...) {
    settle(batch, ran + 1, now, *clk); // on_error threw: the rest go back, none is lost
    throw;
  }
  settle(batch, ran, now, *clk);
}

void timer_queue::settle(std::vector<std::shared_ptr<timer_record>>& batch, std::size_t ran,
                         clock::time_point now, clock_service& clk) {
  clock::time_point at;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& r = *batch[i];
      if (r.cancelled()) {
        r.slot_ = timer_record::finished;
      } else if (r.restart_pending_.load(std::memory_order_relaxed)) {
        r.restart_pending_.store(false, std::memory_order_relaxed);
        if (r.restart_due_ == clock::time_point::max())
          r.slot_ = timer_record::unqueued;
        else
          push(batch[i], r.restart_due_);
        batch[i].reset();
      } else if (i >= ran) {
        push(batch[i], r.due_); // its turn never came: back at its deadline
        batch[i].reset();
      } else if (r.interval() != clock::duration{0}) {
        push(batch[i], r.next_due(now));
        batch[i].reset();
      } else {
        r.slot_ = timer_record::finished;
      }
    }
    at = needed_wake();
  }
  for (auto& r : batch)
    if (r)
      r->release(); // a finished defer: what it captured goes now
  batch.clear();
  ask(clk, at);
}

void timer_queue::cancel_all() {
  std::vector<std::shared_ptr<timer_record>> all;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    all.reserve(heap_.size());
    for (auto& s : heap_) {
      s.rec->slot_ = timer_record::finished;
      all.push_back(std::move(s.rec->queued_));
    }
    heap_.clear();
  }
  for (auto& r : all)
    r->cancel();
}

std::size_t timer_queue::size() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return heap_.size();
}

bool timer_queue::remove(timer_record& r) {
  std::shared_ptr<timer_record> gone; // released after the lock
  std::lock_guard<std::mutex> guard(mtx_);
  if (r.slot_ >= heap_.size())
    return false;
  gone = take(r.slot_);
  r.slot_ = timer_record::finished;
  return true;
}

bool timer_queue::restart(const std::shared_ptr<timer_record>& rec, clock::duration delay) {
  auto& r = *rec;
  auto clk = clock_.lock();
  if (!clk)
    return false; // the owner's clock is gone: so is the owner
  auto due = delay == never ? clock::time_point::max() : clk->now() + delay;
  clock::time_point at;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (r.cancelled() || r.slot_ == timer_record::finished)
      return false;
    if (r.slot_ == timer_record::running) {
      r.restart_due_ = due; // applied when the run returns
      r.restart_pending_ = true;
      return true;
    }
    if (r.slot_ == timer_record::unqueued) {
      if (due != clock::time_point::max())
        push(rec, due);
    } else if (due == clock::time_point::max()) {
      auto keep = take(r.slot_); // still referenced by the caller's handle
      r.slot_ = timer_record::unqueued;
    } else {
      auto i = r.slot_;
      r.seq_ = next_seq_++;
      r.due_ = due;
      slot s{due, &r};
      if (i > 0 && before(s, heap_[(i - 1) / arity]))
        sift_up(i, s);
      else
        sift_down(i, s);
    }
    at = needed_wake();
  }
  ask(*clk, at);
  return true;
}

// -- the heap (under mtx_) ----------------------------------------------------------

void timer_queue::push(std::shared_ptr<timer_record> r, clock::time_point due) {
  auto* rec = r.get();
  rec->due_ = due;
  rec->seq_ = next_seq_++;
  rec->queued_ = std::move(r);
  heap_.emplace_back();
  sift_up(heap_.size() - 1, slot{due, rec});
}

std::shared_ptr<timer_record> timer_queue::take(std::size_t i) {
  auto out = std::move(heap_[i].rec->queued_);
  slot last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    if (i > 0 && before(last, heap_[(i - 1) / arity]))
      sift_up(i, last);
    else
      sift_down(i, last);
  }
  return out;
}

void timer_queue::place(std::size_t i, slot s) {
  s.rec->slot_ = i;
  heap_[i] = s;
}

void timer_queue::sift_up(std::size_t i, slot s) {
  while (i > 0) {
    auto parent = (i - 1) / arity;
    if (!before(s, heap_[parent]))
      break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, s);
}

void timer_queue::sift_down(std::size_t i, slot s) {
  auto n = heap_.size();
  for (;;) {
    auto first = arity * i + 1;
    if (first >= n)
      break;
    auto best = first;
    for (auto c = first + 1; c < std::min(first + arity, n); ++c)
      if (before(heap_[c], heap_[best]))
        best = c;
    if (!before(heap_[best], s))
      break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, s);
}

timer_queue::clock::time_point timer_queue::needed_wake() {
  if (heap_.empty())
    return no_wake;
  auto top = heap_[0].due;
  if (!asked_.empty() && *asked_.begin() <= top)
    return no_wake; // a wake-up at or before the top is on its way
  asked_.insert(top);
  return top;
}

void timer_queue::ask(clock_service& clk, clock::time_point at) {
  if (at == no_wake)
    return;
  if (at <= clk.now())
    wake_(at); // due already: no trip through the clock
  else
    clk.schedule(at, [wake = wake_, at] { wake(at); });
}

} // namespace pants::detail
