#include "pants/channels/socket_core.hpp"

#include <system_error>
#include <unistd.h>

namespace pants {

socket_core::socket_core(engine& eng, std::shared_ptr<event_sink> sink, std::size_t credit_limit,
                         std::size_t credit_overhead)
    : engine_(eng), sink_(std::move(sink)), credit_(credit_limit, credit_overhead) {}

// A socket never closed (a channel still open at exit) owns its descriptor.
socket_core::~socket_core() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool socket_core::register_in_engine() {
  PANTS_ASSERT_IN_LOOP(engine_);
  std::uint32_t mask;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || fd_ < 0 || registered_)
      return false;
    mask = interest_locked();
  }
  try {
    engine_.add(fd_, mask, shared_from_this());
  } catch (const std::system_error& e) {
    // The backend cannot watch this descriptor (select and FD_SETSIZE): the
    // socket reports why and closes instead of staying silent forever.
    std::shared_ptr<event_sink> sink;
    {
      std::lock_guard<std::mutex> guard(mtx_);
      sink = sink_;
    }
    if (sink)
      sink->deliver_error(true, net_error{e.code().value(), e.what()});
    close_now();
    return false;
  }
  registered_ = true;
  return true;
}

void socket_core::update_interest() {
  PANTS_ASSERT_IN_LOOP(engine_);
  std::uint32_t mask;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (!registered_ || state_ == state::closed)
      return;
    before_interest_update_locked();
    mask = interest_locked();
  }
  engine_.modify(fd_, mask);
}

void socket_core::request_interest_update() {
  auto me = shared_from_this();
  interest_update_(engine_, [me] { me->update_interest(); });
}

void socket_core::abandon_descriptor() {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (registered_) {
    engine_.remove(fd_);
    registered_ = false;
  }
  // Under the lock: a writer checks the state, not the descriptor, and the
  // state is not open while connecting, but keep every close of fd_ there.
  std::lock_guard<std::mutex> guard(mtx_);
  ::close(fd_);
  fd_ = -1;
}

void socket_core::close_now() {
  PANTS_ASSERT_IN_LOOP(engine_);
  int fd;
  std::shared_ptr<event_sink> sink;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed)
      return;
    state_ = state::closed;
    discard_locked();
    fd = fd_;
    fd_ = -1;
    sink = std::move(sink_);
    if (writer_deliveries_ > 0)
      closed_waiting_ = std::move(sink); // the last of them delivers it
  }
  if (registered_) {
    engine_.remove(fd); // before the close, as the backend contract requires
    registered_ = false;
  }
  before_close_unlocked();
  if (fd >= 0)
    ::close(fd);
  if (sink)
    sink->deliver(closed_msg{});
}

void socket_core::end_writer_delivery() {
  std::shared_ptr<event_sink> closed;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (--writer_deliveries_ == 0)
      closed = std::move(closed_waiting_);
  }
  if (closed)
    closed->deliver(closed_msg{});
}

void socket_core::request_close() {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || close_requested_)
      return;
    close_requested_ = true;
  }
  auto me = shared_from_this();
  engine_.run_in_loop([me] { me->close_now(); });
}

void socket_core::request_end() {
  bool empty;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || state_ == state::ending || close_requested_)
      return;
    if (state_ != state::open) {
      close_requested_ = true; // never connected or opened: nothing to flush
      empty = true;
    } else {
      state_ = state::ending;
      empty = output_empty_locked();
    }
  }
  auto me = shared_from_this();
  if (empty)
    engine_.run_in_loop([me] { me->close_now(); });
  else
    request_interest_update(); // stop reading; the flush that empties the queue closes
}

void socket_core::release_credit(std::size_t n) {
  if (credit_.release(n))
    request_interest_update();
}

} // namespace pants
