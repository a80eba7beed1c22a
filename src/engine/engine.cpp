#include "pants/engine/engine.hpp"

#include "pants/engine/log.hpp"
#include "pants/engine/relief.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace pants {

namespace {
// The wake-up eventfd's registration uses this generation, which no handler gets.
constexpr std::uint32_t wake_generation = 0;

/// What add and use_backend throw for a descriptor the backend cannot watch.
std::system_error refused(std::size_t fd, const char* why) {
  return std::system_error(EMFILE, std::generic_category(),
                           "pants: descriptor " + std::to_string(fd) + ": " + why);
}
} // namespace

engine::engine(const std::string& backend_name, std::shared_ptr<clock_service> clock)
    : backend_(backend::make(backend_name)), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      clock_(std::move(clock)), anchor_(std::make_shared<anchor>()) {
  anchor_->eng = this;
  if (wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "eventfd");
  backend_->add(wake_fd_, io_event::readable, static_cast<std::uint32_t>(wake_fd_));
}

engine::~engine() {
  if (relief_)
    relief_->finish();
  {
    std::lock_guard<std::mutex> guard(anchor_->mtx);
    anchor_->eng = nullptr; // timers firing from now on find no engine
  }
  cancel_timers();
  table_.clear(); // handlers close their own descriptors
  ::close(wake_fd_);
}

engine& engine::instance() {
  static engine default_engine;
  return default_engine;
}

bool engine::in_engine_thread() const noexcept {
  return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

bool engine::polled() const noexcept {
  return running_.load() || poller_.load(std::memory_order_relaxed) != std::thread::id{};
}

bool engine::polled_by_this_thread() const noexcept {
  auto here = std::this_thread::get_id();
  return owner_.load(std::memory_order_relaxed) == here ||
         poller_.load(std::memory_order_relaxed) == here;
}

void engine::cancel_timers() {
  PANTS_ASSERT_IN_LOOP(*this);
  for (auto* records : {&loops_, &prepares_}) {
    for (auto& r : *records)
      r->cancel();
    records->clear();
  }
  if (timed_)
    timed_->cancel_all();
}

void engine::assert_in_loop(const char* member) const noexcept {
  auto owner = owner_.load(std::memory_order_relaxed);
  if (owner == std::thread::id{} || owner == std::this_thread::get_id())
    return;
  std::fprintf(stderr, "pants: %s must be called in the engine thread\n", member);
  std::abort();
}

void engine::start() {
  if (running_.exchange(true))
    return;
  // The engine thread from here to the return, between iterations too.
  auto previous = owner_.exchange(std::this_thread::get_id());
  using clock = std::chrono::steady_clock;
  while (!stop_requested_.load()) {
    auto timeout = std::chrono::milliseconds(-1);
    if (auto deadline = empty_deadline_.load(); deadline != no_deadline) {
      if (live_ == 0)
        break; // every channel and server closed
      auto left = clock::duration(deadline) - clock::now().time_since_epoch();
      if (left <= clock::duration::zero())
        break; // the grace time is over
      timeout = std::chrono::ceil<std::chrono::milliseconds>(left);
    }
    poll(timeout);
  }
  owner_ = previous;
  // Cleared on the way out, not the way in: a stop() made before start(),
  // or racing with the start of the loop, is never lost.
  stop_requested_ = false;
  empty_deadline_ = no_deadline;
  running_ = false;
}

void engine::stop() {
  stop_requested_ = true;
  wake(); // also wakes a poll() embedded in a foreign loop
}

void engine::stop_when_empty(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now().time_since_epoch() + grace;
  empty_deadline_ =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline).count();
  wake();
}

void engine::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> guard(posted_mtx_);
    posted_.push_back(std::move(task));
  }
  // One eventfd write per batch: later posts see the flag and skip it.
  if (!wake_pending_.exchange(true))
    wake();
}

void engine::wake() {
  std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void engine::drain_wakeup() {
  std::uint64_t count;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  wake_pending_ = false;
}

void engine::run_posted() {
  {
    std::lock_guard<std::mutex> guard(posted_mtx_);
    running_tasks_.swap(posted_);
  }
  for (auto& task : running_tasks_) {
    try {
      task();
    } catch (const std::exception& e) {
      log(log_level::error, std::string("engine task threw: ") + e.what());
    } catch (...) {
      // Escaping here would leave this batch half-run, to be run again.
      log(log_level::error, "engine task threw a non-standard exception");
    }
  }
  running_tasks_.clear();
}

std::shared_ptr<iteration_observer> engine::observe(std::shared_ptr<iteration_observer> obs) {
  std::lock_guard<std::mutex> guard(observer_mtx_);
  if (!observer_ && obs) {
    relief_ = std::make_unique<relief>();
    relief_->thread = std::thread([this] { relief_->run(*this); });
    observer_ = std::move(obs);
    observer_ptr_.store(observer_.get(), std::memory_order_release);
  }
  return observer_;
}

std::uint64_t engine::reliefs() const noexcept {
  return observer_ptr_.load(std::memory_order_acquire) != nullptr ? relief_->taken.load() : 0;
}

void engine::observe_iteration_end(iteration_observer& obs) noexcept {
  // What the observer runs (actor handlers) is not engine-thread code: it
  // sees no engine thread, so it posts to the loop as a worker would.
  owner_ = std::thread::id{};
  // Its posts need no eventfd write: the next iteration runs them first.
  wake_pending_ = true;
  relief_->begin_phase();
  obs.iteration_ends();
  relief_->end_phase(*this);
  wake_pending_ = false;
}

void engine::poll(std::chrono::milliseconds timeout) {
  auto previous = owner_.exchange(std::this_thread::get_id());
  auto previous_poller = poller_.exchange(std::this_thread::get_id());
  // Read once: an observer installed meanwhile is told from the next
  // iteration, so its two calls always pair up.
  auto* observer = observer_ptr_.load(std::memory_order_acquire);
  struct ends_guard {
    engine& eng;
    iteration_observer* obs;
    std::thread::id previous;
    std::thread::id previous_poller;
    ~ends_guard() {
      if (obs != nullptr)
        eng.observe_iteration_end(*obs);
      eng.owner_ = previous;
      eng.poller_ = previous_poller;
    }
  };
  if (observer != nullptr)
    observer->iteration_begins();
  ends_guard ends{*this, observer, previous, previous_poller};
  poll_once(timeout, observer);
}

void engine::poll_once(std::chrono::milliseconds timeout, iteration_observer* observer) {
  run_posted();
  bool pending;
  {
    std::lock_guard<std::mutex> guard(posted_mtx_);
    pending = !posted_.empty();
  }
  run_each(prepares_);
  ready_.clear();
  // An active loop timer runs every iteration: wait for I/O without sleeping.
  // Nor when the observer holds work (the tasks just run woke actors).
  bool busy = pending || !loops_.empty() || (observer != nullptr && observer->has_work());
  backend_->wait(busy ? std::chrono::milliseconds(0) : timeout, ready_);
  for (const auto& ev : ready_)
    dispatch(ev);
  run_posted();
  run_each(loops_);
}

// -- timers ---------------------------------------------------------------------

namespace {
// Constant-initialised, so installing from another translation unit's
// static initialiser is safe whatever the order.
std::atomic<clock_factory> installed_clock_factory{nullptr};
} // namespace

clock_factory install_default_clock(clock_factory make) noexcept {
  return installed_clock_factory.exchange(make);
}

clock_factory default_clock_factory() noexcept { return installed_clock_factory.load(); }

std::shared_ptr<clock_service> engine::shared_clock() {
  std::lock_guard<std::mutex> guard(clock_mtx_);
  if (!clock_) {
    auto make = default_clock_factory();
    if (make == nullptr)
      throw std::logic_error("pants: this engine has no clock for defer and cycle: pass one to "
                             "its constructor, or link the actors layer (Pants::pants)");
    clock_ = make();
  }
  return clock_;
}

timer engine::add_callback(detail::timer_fn&& fn) {
  auto record = std::make_shared<detail::timer_record>(std::move(fn),
                                                       clock_service::clock::duration{0}, true);
  post([record] { record->run(); });
  return timer(record);
}

timer engine::add_loop(detail::timer_fn&& fn) {
  auto record =
      std::make_shared<detail::timer_record>(std::move(fn), clock_service::clock::duration{0});
  // Joins the loops from the next iteration, even when scheduled by a loop.
  post([this, record] { loops_.push_back(record); });
  return timer(record);
}

timer engine::add_prepare(detail::timer_fn&& fn) {
  auto record =
      std::make_shared<detail::timer_record>(std::move(fn), clock_service::clock::duration{0});
  post([this, record] { prepares_.push_back(record); });
  return timer(record);
}

void engine::run_each(std::vector<std::shared_ptr<detail::timer_record>>& records) {
  if (records.empty())
    return;
  // Records added while these run start next iteration (they arrive by post).
  auto current = records;
  for (auto& record : current)
    record->run();
  records.erase(
      std::remove_if(records.begin(), records.end(), [](const auto& r) { return r->cancelled(); }),
      records.end());
}

timer engine::add_timed(clock_service::clock::duration delay,
                        clock_service::clock::duration interval, detail::timer_fn&& fn) {
  return timer(timed().add(std::move(fn), delay, interval));
}

detail::timer_queue& engine::timed() {
  if (auto* q = timed_ready_.load(std::memory_order_acquire))
    return *q;
  auto clk = shared_clock();
  std::lock_guard<std::mutex> guard(clock_mtx_);
  if (!timed_)
    // A wake-up runs what is due on the engine thread.
    timed_ = std::make_shared<detail::timer_queue>(
        clk, [a = anchor_](clock_service::clock::time_point at) {
          std::lock_guard<std::mutex> hold(a->mtx);
          if (a->eng != nullptr)
            a->eng->post([eng = a->eng, at] {
              eng->timed_->woken(at);
              eng->timed_->run_due();
            });
        });
  timed_ready_.store(timed_.get(), std::memory_order_release);
  return *timed_;
}

void engine::dispatch(const ready_event& ev) {
  int fd = static_cast<int>(ev.token & 0xffffffffu);
  auto generation = static_cast<std::uint32_t>(ev.token >> 32);
  if (fd == wake_fd_ && generation == wake_generation) {
    drain_wakeup();
    return;
  }
  auto index = static_cast<std::size_t>(fd);
  // A stale event: the registration was removed, or replaced by a new one
  // on a reused descriptor, earlier in this iteration.
  if (index >= table_.size() || table_[index].generation != generation || !table_[index].handler)
    return;
  auto handler = table_[index].handler; // stays alive even if it unregisters itself
  try {
    handler->handle_io(ev.events);
  } catch (const std::exception& e) {
    log(log_level::error, "I/O handler for fd " + std::to_string(fd) + " threw: " + e.what());
  } catch (...) {
    log(log_level::error,
        "I/O handler for fd " + std::to_string(fd) + " threw a non-standard exception");
  }
}

std::uint64_t engine::token(int fd) const {
  auto index = static_cast<std::size_t>(fd);
  return (static_cast<std::uint64_t>(table_[index].generation) << 32) |
         static_cast<std::uint32_t>(fd);
}

void engine::add(int fd, std::uint32_t mask, std::shared_ptr<io_handler> handler) {
  PANTS_ASSERT_IN_LOOP(*this);
  if (fd < 0 || !handler)
    throw std::invalid_argument("pants::engine::add: bad descriptor or null handler");
  if (auto why = backend_->refusal(fd)) // before anything changes
    throw refused(static_cast<std::size_t>(fd), why);
  auto index = static_cast<std::size_t>(fd);
  if (index >= table_.size())
    table_.resize(index + 1);
  auto& e = table_[index];
  if (e.handler)
    throw std::logic_error("pants::engine::add: descriptor already registered");
  if (++generation_ == wake_generation)
    ++generation_;
  e.handler = std::move(handler);
  e.generation = generation_;
  e.mask = mask;
  if (mask != 0)
    backend_->add(fd, mask, token(fd));
  ++live_;
}

void engine::modify(int fd, std::uint32_t mask) {
  PANTS_ASSERT_IN_LOOP(*this);
  auto index = static_cast<std::size_t>(fd);
  if (fd < 0 || index >= table_.size() || !table_[index].handler)
    throw std::logic_error("pants::engine::modify: descriptor not registered");
  auto& e = table_[index];
  if (e.mask == mask)
    return;
  if (e.mask == 0)
    backend_->add(fd, mask, token(fd));
  else if (mask == 0)
    backend_->remove(fd);
  else
    backend_->modify(fd, mask, token(fd));
  e.mask = mask;
}

void engine::use_backend(const std::string& name) {
  PANTS_ASSERT_IN_LOOP(*this);
  auto next = backend::make(name);
  if (std::string(next->name()) == backend_->name())
    return;
  for (std::size_t i = 0; i < table_.size(); ++i)
    if (table_[i].handler)
      if (auto why = next->refusal(static_cast<int>(i)))
        throw refused(i, why);
  next->add(wake_fd_, io_event::readable, static_cast<std::uint32_t>(wake_fd_));
  for (std::size_t i = 0; i < table_.size(); ++i)
    if (table_[i].handler && table_[i].mask != 0)
      next->add(static_cast<int>(i), table_[i].mask, token(static_cast<int>(i)));
  backend_ = std::move(next);
}

void engine::remove(int fd) {
  PANTS_ASSERT_IN_LOOP(*this);
  auto index = static_cast<std::size_t>(fd);
  if (fd < 0 || index >= table_.size() || !table_[index].handler)
    return;
  auto& e = table_[index];
  if (e.mask != 0)
    backend_->remove(fd);
  // Keep the handler alive until this call returns: it may be the caller.
  auto keep = std::move(e.handler);
  e = entry{};
  --live_;
}

} // namespace pants
