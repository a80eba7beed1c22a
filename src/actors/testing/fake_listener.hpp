#pragma once

#include "pants/channels/event_sink.hpp"
#include "pants/channels/listener_io.hpp"

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

  /// Where accepted connections are reported (null once closed).
  event_sink* sink() const noexcept { return sink_.get(); }

  int fail_next_accept = 0;
  std::size_t accepted = 0;

private:
  std::shared_ptr<event_sink> sink_;
  endpoint local_;
  bool closed_ = false;
};

} // namespace pants::testing::detail
