#include "pants/channels/sender_framers.hpp"

#include <stdexcept>

namespace pants {

sender_framers::sender_framers() = default;

framer sender_framers::fresh_framer() const {
  framer f;
  f.delimiter(scratch_.delimiter());
  f.buffer_size(scratch_.buffer_size());
  return f;
}

void sender_framers::delimiter(read_delimiter d) {
  for (auto& s : lru_)
    s.frames.delimiter(d);
  scratch_.delimiter(std::move(d));
}

void sender_framers::buffer_size(std::size_t n) {
  scratch_.buffer_size(n); // throws for 0 before anything changes
  for (auto& s : lru_)
    s.frames.buffer_size(n);
}

void sender_framers::max_senders(std::size_t n) {
  if (n == 0)
    throw std::invalid_argument("pants: max_senders must be at least 1");
  max_senders_ = n;
  evict_to(n);
}

std::size_t sender_framers::buffered() const noexcept {
  std::size_t n = scratch_.buffered();
  for (const auto& s : lru_)
    n += s.frames.buffered();
  return n;
}

std::size_t sender_framers::buffered(const endpoint& from) const {
  auto it = table_.find(from);
  return it == table_.end() ? 0 : it->second->frames.buffered();
}

void sender_framers::clear() noexcept {
  scratch_.clear();
  table_.clear();
  lru_.clear();
}

sender_framers::lru_list::iterator sender_framers::touch(const endpoint& from) {
  auto entry = table_.at(from);
  lru_.splice(lru_.begin(), lru_, entry); // iterators stay valid
  return entry;
}

// The scratch framer holds a new sender's partial frame: it becomes that
// sender's own, and a fresh scratch takes its place.
void sender_framers::keep_tail(const endpoint& from) {
  auto next = fresh_framer();
  evict_to(max_senders_ - 1);
  lru_.push_front(sender{from, std::move(scratch_)});
  table_.emplace(from, lru_.begin());
  scratch_ = std::move(next);
}

void sender_framers::drop_if_empty(lru_list::iterator it) {
  if (it->frames.buffered() > 0)
    return;
  table_.erase(it->from);
  lru_.erase(it);
}

// The sender being fed is always at the front (just touched), and n >= 1
// entries are kept, so it is never evicted from under its own feed.
void sender_framers::evict_to(std::size_t n) {
  while (lru_.size() > n) {
    table_.erase(lru_.back().from);
    lru_.pop_back();
  }
}

} // namespace pants
