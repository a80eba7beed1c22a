#pragma once

#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"

#include <caf/behavior.hpp>

#include <functional>
#include <memory>

namespace pants {

/// An actor-style stream channel: instead of overriding `on_*`, give a
/// `caf::behavior` that handles the framework's typed messages
/// (`connected_msg`, `read_msg` — one per frame — `drained_msg`,
/// `connect_failed_msg`, `overflow_msg`, `idle_msg`, `read_error_msg`,
/// `write_error_msg`, `tls_handshake_msg`, `tls_error_msg`, `closed_msg`).
/// The behaviour runs in the channel's
/// actor and also receives any other message sent to `actor()`.
/// Unhandled framework messages keep the defaults (an overflow or an idle
/// timeout closes).
class behavior_stream : public stream {
public:
  /// Builds the behaviour for one channel; the reference stays valid for
  /// the channel's life, so handlers may capture it to write or close.
  using factory = std::function<caf::behavior(stream& self)>;

  explicit behavior_stream(const factory& make, pants::engine& eng);
  explicit behavior_stream(const factory& make);

  /// A server factory making actor-style connections from `make`, on the
  /// default engine (for a server on the default engine).
  static stream_server::factory for_server(factory make);

  /// As above, for a server on `eng`: its connections must live on the
  /// server's engine.
  static stream_server::factory for_server(factory make, pants::engine& eng);

private:
  caf::behavior* user_behavior() noexcept override { return &behavior_; }

  void on_connect() override;
  void on_connect_error(const net_error& e) override;
  void on_read(std::string_view data) override;
  void on_write() override;
  void on_overflow_error(const net_error& e) override;
  void on_idle(idle_kind kind) override;
  void on_tls_handshake() override;
  void on_tls_error(const net_error& e) override;
  void on_read_error(const net_error& e) override;
  void on_write_error(const net_error& e) override;
  void on_close() override;

  template <class T> bool invoke(T msg);

  caf::behavior behavior_;
};

} // namespace pants
