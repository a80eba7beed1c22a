// The handler of examples/idle_timeout.cpp: an echo connection that closes
// itself after `limit` without input, telling the client first. It reads
// the time from its engine's clock, so the same class runs on real time in
// the server and on virtual time under the mock engine (the tests of
// docs/testing.md drive it).
#pragma once

#include <pants/pants.hpp>

#include <chrono>
#include <string_view>

struct idle_echo : pants::connection {
  using clock = pants::clock_service::clock;

  explicit idle_echo(clock::duration limit, pants::engine& eng = pants::engine::instance())
      : pants::connection(eng), limit_(limit) {}

  void on_connect() override {
    last_read_ = now();
    check_after(limit_);
  }

  void on_read(std::string_view data) override {
    write(data);
    last_read_ = now(); // no timer work per read: the check re-arms itself
  }

private:
  // The engine's clock: real time in production, virtual time on the mock.
  clock::time_point now() const { return engine().clock().now(); }

  // One pending timer per connection, re-armed when it fires (re-arming on
  // every read would leave one dead wake-up per read in CAF's clock until
  // its deadline: CAF 0.17 cannot remove a scheduled message).
  void check_after(clock::duration delay) {
    defer(delay, [this] {
      auto quiet = now() - last_read_;
      if (quiet < limit_) {
        check_after(limit_ - quiet);
        return;
      }
      write("idle timeout\n");
      end(); // flush the notice, then close
    });
  }
  // Nothing to do in on_close: the channel's timers are cancelled with it.

  clock::duration limit_;
  clock::time_point last_read_;
};
