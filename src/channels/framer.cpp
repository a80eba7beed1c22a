#include "pants/channels/framer.hpp"

#include <stdexcept>

namespace pants {

void framer::buffer_size(std::size_t n) {
  if (n == 0)
    throw std::invalid_argument("pants: buffer_size must be at least 1");
  buffer_size_ = n;
}

bool framer::next_frame(std::string_view& frame) {
  std::string_view rest(buf_.data() + head_, buf_.size() - head_);
  switch (delimiter_.type()) {
  case read_delimiter::kind::none:
    if (rest.empty())
      return false;
    frame = rest;
    head_ = buf_.size();
    break;
  case read_delimiter::kind::count:
    if (rest.size() < delimiter_.count())
      return false;
    frame = rest.substr(0, delimiter_.count());
    head_ += delimiter_.count();
    break;
  case read_delimiter::kind::bytes: {
    const auto& d = delimiter_.bytes();
    // Resume where the last search stopped: a delimiter split across reads
    // is still found, and no byte is scanned twice.
    auto pos = buf_.find(d, std::max(scan_, head_));
    if (pos == std::string::npos) {
      scan_ = buf_.size() >= d.size() ? std::max(head_, buf_.size() - d.size() + 1) : head_;
      return false;
    }
    frame = std::string_view(buf_.data() + head_, pos - head_);
    head_ = pos + d.size();
    break;
  }
  }
  scan_ = std::max(scan_, head_);
  return true;
}

void framer::compact() {
  if (head_ == buf_.size()) {
    clear();
  } else if (head_ > 0 && head_ >= buf_.size() / 2) {
    buf_.erase(0, head_);
    scan_ -= head_;
    head_ = 0;
  }
}

} // namespace pants
