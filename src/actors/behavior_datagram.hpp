#pragma once

#include "pants/actors/datagram.hpp"

#include <caf/behavior.hpp>

#include <functional>

namespace pants {

/// An actor-style datagram channel: instead of overriding `on_*`, give a
/// `caf::behavior` that handles the framework's typed messages
/// (`listening_msg`, `datagram_msg` — one per datagram or frame, with its
/// sender in `from` — `drained_msg`, `overflow_msg` (with `from`),
/// `read_error_msg`, `write_error_msg`, `closed_msg`). The behaviour runs
/// in the channel's actor and also receives any other message sent to
/// `actor()`. Unhandled framework messages keep the defaults (errors are
/// logged; the channel goes on).
class behavior_datagram : public datagram {
public:
  /// Builds the behaviour for one channel; the reference stays valid for
  /// the channel's life, so handlers may capture it to write or close.
  using factory = std::function<caf::behavior(datagram& self)>;

  /// Throws std::invalid_argument for an empty factory.
  explicit behavior_datagram(const factory& make, pants::engine& eng);
  explicit behavior_datagram(const factory& make);

private:
  caf::behavior* user_behavior() noexcept override { return &behavior_; }

  void on_listen() override;
  void on_read(std::string_view data, const endpoint& from) override;
  void on_write() override;
  void on_overflow_error(const net_error& e, const endpoint& from) override;
  void on_read_error(const net_error& e) override;
  void on_write_error(const net_error& e) override;
  void on_close() override;

  template <class T> bool invoke(T msg);

  caf::behavior behavior_;
};

} // namespace pants
