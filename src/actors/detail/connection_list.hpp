#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace pants {
class stream;
} // namespace pants

namespace pants::detail {

/// The live connections a server accepted. The server owns it; each
/// connection holds it weakly and leaves it when it closes, so neither the
/// server nor the connection reaches the other's private members. Holds the
/// listed connections strongly. Safe from any thread; `start` in `add` is
/// the only code run under its lock.
class connection_list {
public:
  /// A listed connection, held strongly.
  using channel_ptr = std::shared_ptr<stream>;

  /// Runs `start`, then lists `channel`, both under the lock, so `snapshot`
  /// never returns a channel still being set up. Returns false, running and
  /// listing nothing, once `close` has run.
  bool add(const channel_ptr& channel, const std::function<void()>& start);

  /// Unlists `channel` (no-op when not listed), then runs the `on_leave`
  /// function. The listed pointer is released after the lock, so a last
  /// reference never dies under it.
  void remove(const stream* channel);

  /// Runs `f` after each channel leaves (outside the lock, in the leaving
  /// channel's thread): the server gives the listener its slot back.
  void on_leave(std::function<void()> f);

  /// The channels listed now.
  std::vector<channel_ptr> snapshot() const;

  /// Refuses every later `add` and returns the channels listed now (they
  /// stay listed until they leave).
  std::vector<channel_ptr> close();

  /// Channels listed now.
  std::size_t size() const;

private:
  /// The listed channels; the caller holds the lock.
  std::vector<channel_ptr> listed() const;

  mutable std::mutex mtx_;
  std::unordered_map<const stream*, channel_ptr> channels_; // under mtx_
  bool closed_ = false;                                     // under mtx_
  std::function<void()> on_leave_;                          // under mtx_
};

} // namespace pants::detail
