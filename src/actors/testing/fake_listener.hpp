#pragma once

#include "pants/channels/event_sink.hpp"
#include "pants/channels/listener_io.hpp"

#include <cstddef>
#include <deque>
#include <memory>

namespace pants::testing::detail {

/// The mock engine's listening socket: reports `listening_msg` when made,
/// `closed_msg` when closed; connections arrive through
/// `listener_peer::accept`. One thread only (the test's).
class fake_listener final : public listener_io {
public:
  fake_listener(std::shared_ptr<event_sink> sink, endpoint local)
      : sink_(std::move(sink)), local_(std::move(local)) {}

  void close() override {
    if (closed_)
      return;
    closed_ = true;
    if (auto sink = std::move(sink_))
      sink->deliver(closed_msg{});
  }
  bool is_closed() const noexcept override { return closed_; }
  const endpoint& local() const noexcept override { return local_; }
  void limit(std::size_t max) override {
    cap_ = max;
    deliver_waiting();
  }
  void release() override {
    if (open_ > 0)
      --open_;
    deliver_waiting();
  }

  /// Reports an accepted connection, or (at the cap) keeps it waiting, as
  /// the kernel's backlog does, until a `release`.
  void offer(accepted_msg m) {
    waiting_.push_back(std::move(m));
    deliver_waiting();
  }
  /// Accepted connections waiting for the cap.
  std::size_t waiting() const noexcept { return waiting_.size(); }

  /// Where accepted connections are reported (null once closed).
  event_sink* sink() const noexcept { return sink_.get(); }

  int fail_next_accept = 0;
  std::size_t accepted = 0;

private:
  void deliver_waiting() {
    while (!waiting_.empty() && sink_ && (cap_ == 0 || open_ < cap_)) {
      ++open_;
      auto m = std::move(waiting_.front());
      waiting_.pop_front();
      sink_->deliver(std::move(m));
    }
  }

  std::shared_ptr<event_sink> sink_;
  endpoint local_;
  bool closed_ = false;
  std::size_t cap_ = 0;
  std::size_t open_ = 0;
  std::deque<accepted_msg> waiting_;
};

} // namespace pants::testing::detail
