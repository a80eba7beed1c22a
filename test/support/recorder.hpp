#pragma once

// A connection that logs every callback into an event_log, with optional
// hooks, for tests that assert what a channel saw and in which order.

#include "actors/stream.hpp"
#include "support/loopback.hpp"

#include <functional>
#include <memory>
#include <string>

namespace pants::test {

class recorder : public connection {
public:
  explicit recorder(event_log& log, engine& eng) : connection(eng), log_(log) {}

  std::function<void(recorder&)> connect_hook;
  std::function<void(recorder&, std::string_view)> read_hook;

protected:
  void on_connect() override {
    log_.add("connect");
    if (connect_hook)
      connect_hook(*this);
  }
  void on_connect_error(const net_error& e) override { log_.add("connect_error:" + e.what); }
  void on_read(std::string_view data) override {
    log_.add("read:" + std::string(data));
    if (read_hook)
      read_hook(*this, data);
  }
  void on_write() override { log_.add("write"); }
  void on_overflow_error(const net_error& e) override {
    log_.add("overflow");
    connection::on_overflow_error(e);
  }
  void on_read_error(const net_error&) override { log_.add("read_error"); }
  void on_write_error(const net_error&) override { log_.add("write_error"); }
  void on_close() override { log_.add("close"); }
  void on_error(const std::exception& e) override { log_.add(std::string("error:") + e.what()); }

private:
  event_log& log_;
};

/// A client that logs every callback into an event_log with the same
/// strings as `recorder`, with a hook after each callback, for tests of a
/// client's own lifecycle. Hooks run in the channel's actor; set them
/// before `connect`.
class client_recorder : public client {
public:
  explicit client_recorder(event_log& log, engine& eng) : client(eng), log_(log) {}

  std::function<void(client_recorder&)> connect_hook;
  std::function<void(client_recorder&, std::string_view)> read_hook;
  std::function<void(client_recorder&)> write_hook;
  std::function<void(client_recorder&)> close_hook;

protected:
  void on_connect() override {
    log_.add("connect");
    if (connect_hook)
      connect_hook(*this);
  }
  void on_connect_error(const net_error& e) override { log_.add("connect_error:" + e.what); }
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
    client::on_overflow_error(e);
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

} // namespace pants::test
