#pragma once

// Channels that log every callback into an event_log, with optional hooks,
// for tests that assert what a channel saw and in which order.

#include "pants/actors/stream.hpp"
#include "support/loopback.hpp"

#include <functional>
#include <memory>
#include <string>

namespace pants::test {

/// A channel that logs every callback into an event_log ("connect",
/// "read:<data>", "write", "close", ...), with a hook after some of them.
/// Hooks run in the channel's actor; set them before the channel starts.
template <class Base> class basic_recorder : public Base {
public:
  explicit basic_recorder(event_log& log, engine& eng) : Base(eng), log_(log) {}

  std::function<void(basic_recorder&)> connect_hook;
  std::function<void(basic_recorder&, std::string_view)> read_hook;
  std::function<void(basic_recorder&)> write_hook;
  std::function<void(basic_recorder&)> close_hook;

protected:
  void on_connect() override {
    log_.add("connect");
    if (connect_hook)
      connect_hook(*this);
  }
  void on_connect_error(const net_error& e) override { log_.add("connect_error:" + e.message); }
  void on_read(std::string_view data) override {
    log_.add("read:" + std::string(data));
    if (read_hook)
      read_hook(*this, data);
  }
  void on_write() override {
    log_.add("write");
    if (write_hook)
      write_hook(*this);
  }
  void on_overflow_error(const net_error& e) override {
    log_.add("overflow");
    Base::on_overflow_error(e);
  }
  void on_read_error(const net_error&) override { log_.add("read_error"); }
  void on_write_error(const net_error&) override { log_.add("write_error"); }
  void on_close() override {
    log_.add("close");
    if (close_hook)
      close_hook(*this);
  }
  void on_error(const std::exception& e) override { log_.add(std::string("error:") + e.what()); }

private:
  event_log& log_;
};

/// A server-side connection that records.
using recorder = basic_recorder<connection>;
/// A client that records, with the same strings as `recorder`.
using client_recorder = basic_recorder<client>;

} // namespace pants::test
