#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/framer.hpp"
#include "pants/channels/read_delimiter.hpp"

#include <cstddef>
#include <list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pants {

/// Frames a datagram channel's input per sender: one `framer` per sender
/// address that has a partial frame buffered. Pure logic: no sockets, no
/// threads.
///
/// With no delimiter, each datagram is one frame (a zero-length datagram is
/// an empty frame) and nothing is buffered. With a delimiter, a sender's
/// bytes are framed as a stream of its own; its buffer is bounded by
/// `buffer_size` (past it, that sender's bytes are dropped and `feed`
/// returns false), and at most `max_senders` senders are held: a new
/// sender arriving at a full table discards the partial data of the least
/// recently heard one. Memory is bounded by max_senders x buffer_size.
/// Not thread-safe: owned by one channel's actor.
class sender_framers {
public:
  static constexpr std::size_t default_max_senders = 256;

  sender_framers();

  /// Replaces the delimiter for every sender; applies at once to buffered
  /// bytes (a feed in progress cuts its next frame with it; `reframe`
  /// delivers other senders' frames that became complete).
  void delimiter(read_delimiter d);
  const read_delimiter& delimiter() const noexcept { return scratch_.delimiter(); }

  /// Bounds each sender's buffer. Throws std::invalid_argument for 0.
  void buffer_size(std::size_t n);
  std::size_t buffer_size() const noexcept { return scratch_.buffer_size(); }

  /// Bounds the number of senders with buffered data; a lower bound evicts
  /// the least recently heard senders at once (never the one being fed).
  /// Throws std::invalid_argument for 0.
  void max_senders(std::size_t n);
  std::size_t max_senders() const noexcept { return max_senders_; }

  /// Senders holding a partial frame.
  std::size_t senders() const noexcept { return table_.size(); }
  /// Bytes buffered over all senders.
  std::size_t buffered() const noexcept;
  /// Bytes buffered for `from`.
  std::size_t buffered(const endpoint& from) const;

  /// Drops every sender's buffered bytes.
  void clear() noexcept;

  /// Frames one datagram from `from`, calling `on_frame(std::string_view)`
  /// for each complete frame; `on_frame` returns false to stop (the channel
  /// closed). The view is valid only during the call. Returns false when
  /// this sender's buffer passed its bound: its bytes are discarded (the
  /// caller reports an overflow for `from`). Must not be called from
  /// inside `on_frame`.
  template <class OnFrame> bool feed(std::string&& bytes, const endpoint& from, OnFrame&& on_frame);

  /// Delivers the frames that a delimiter change completed in buffered
  /// data: `on_frame(std::string_view, const endpoint&)` per frame, and
  /// `on_overflow(const endpoint&)` for a sender whose buffer passed its
  /// bound. `on_frame` returns false to stop. Senders are reframed most
  /// recently heard first, and each counts as heard when it is reframed.
  template <class OnFrame, class OnOverflow>
  void reframe(OnFrame&& on_frame, OnOverflow&& on_overflow);

  /// Inside `on_frame`: the groups of the regular-expression match that cut
  /// the frame (see framer::groups); empty elsewhere.
  match_groups groups() const noexcept { return current_ ? current_->groups() : match_groups{}; }
  /// Inside `on_frame` for a frame cut by a binary layout: its fields (see
  /// framer::fields); std::logic_error elsewhere.
  unpacked fields() const {
    if (!current_)
      throw std::logic_error("pants: read_fields() is for the frame a binary layout cut, "
                             "inside its on_read");
    return current_->fields();
  }

  /// Why the last overflow reported (by `feed` or `reframe`) happened.
  const std::string& overflow_reason() const noexcept { return overflow_; }

private:
  struct sender {
    endpoint from;
    framer frames;
  };
  struct hasher {
    std::size_t operator()(const endpoint& e) const noexcept { return e.hash(); }
  };
  using lru_list = std::list<sender>; // most recently heard first

  framer fresh_framer() const;
  lru_list::iterator touch(const endpoint& from);
  void keep_tail(const endpoint& from);
  void drop_if_empty(lru_list::iterator it);
  void evict_to(std::size_t n);

  framer scratch_; // frames a sender with nothing buffered
  std::size_t max_senders_ = default_max_senders;
  lru_list lru_;
  std::unordered_map<endpoint, lru_list::iterator, hasher> table_;
  std::string overflow_;
  const framer* current_ = nullptr; // the framer delivering, for groups()
};

template <class OnFrame>
bool sender_framers::feed(std::string&& bytes, const endpoint& from, OnFrame&& on_frame) {
  auto it = table_.find(from);
  if (it == table_.end()) {
    if (scratch_.delimiter().type() == read_delimiter::kind::none) {
      on_frame(std::string_view(bytes)); // one datagram, one frame (even an empty one)
      return true;
    }
    current_ = &scratch_;
    bool fits = scratch_.feed(std::move(bytes), on_frame);
    current_ = nullptr;
    if (!fits)
      overflow_ = scratch_.overflow_reason();
    if (scratch_.buffered() > 0)
      keep_tail(from);
    return fits;
  }
  auto entry = touch(from);
  current_ = &entry->frames;
  bool fits = entry->frames.feed(std::move(bytes), on_frame);
  current_ = nullptr;
  if (!fits)
    overflow_ = entry->frames.overflow_reason();
  drop_if_empty(entry);
  return fits;
}

template <class OnFrame, class OnOverflow>
void sender_framers::reframe(OnFrame&& on_frame, OnOverflow&& on_overflow) {
  std::vector<endpoint> held;
  held.reserve(table_.size());
  for (const auto& s : lru_)
    held.push_back(s.from);
  bool go_on = true;
  for (const auto& from : held) {
    if (!go_on || table_.find(from) == table_.end())
      continue; // stopped, or evicted by a handler meanwhile
    auto entry = touch(from);
    current_ = &entry->frames;
    bool fits = entry->frames.feed(std::string(), [&](std::string_view frame) {
      go_on = on_frame(frame, from);
      return go_on;
    });
    current_ = nullptr;
    if (!fits)
      overflow_ = entry->frames.overflow_reason();
    drop_if_empty(entry);
    if (!fits)
      on_overflow(from);
  }
}

} // namespace pants
