#include "pants/actors/detail/connection_list.hpp"

namespace pants::detail {

bool connection_list::add(const channel_ptr& channel, const std::function<void()>& start) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (closed_)
    return false;
  start();
  channels_.emplace(channel.get(), channel);
  return true;
}

void connection_list::remove(const stream* channel) {
  channel_ptr dropped; // destroyed after the guard: see the header
  std::function<void()> left;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    auto i = channels_.find(channel);
    if (i == channels_.end())
      return;
    dropped = std::move(i->second);
    channels_.erase(i);
    left = on_leave_;
  }
  if (left)
    left();
}

void connection_list::on_leave(std::function<void()> f) {
  std::lock_guard<std::mutex> guard(mtx_);
  on_leave_ = std::move(f);
}

std::vector<connection_list::channel_ptr> connection_list::snapshot() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return listed();
}

std::vector<connection_list::channel_ptr> connection_list::close() {
  std::lock_guard<std::mutex> guard(mtx_);
  closed_ = true;
  return listed();
}

std::size_t connection_list::size() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return channels_.size();
}

std::vector<connection_list::channel_ptr> connection_list::listed() const {
  std::vector<channel_ptr> out;
  out.reserve(channels_.size());
  for (auto& [key, channel] : channels_)
    out.push_back(channel);
  return out;
}

} // namespace pants::detail
