#include "pants/channels/framer.hpp"

#include <optional>
#include <stdexcept>
#include <string>

namespace pants {

namespace {

/// The payload size the length prefix at the front of `rest` states;
/// nothing when the prefix is incomplete or states a size out of bounds
/// (then `bad` is set to the length stated, if given).
std::optional<std::uint64_t> stated_payload(const length_prefix& p, std::string_view rest,
                                            std::uint64_t* bad) {
  if (rest.size() < p.size())
    return std::nullopt;
  auto stated = p.decode(rest.data());
  bool below_itself = p.counts_itself() && stated < p.size();
  if (below_itself || (p.counts_itself() ? stated - p.size() : stated) > p.max_frame()) {
    if (bad) // refused before a byte of it is buffered
      *bad = stated;
    return std::nullopt;
  }
  return p.counts_itself() ? stated - p.size() : stated;
}

} // namespace

bool framer::bad_length() {
  claimed_.reset();
  std::uint64_t stated = 0;
  if (delimiter_.type() == read_delimiter::kind::length &&
      buf_.size() - head_ >= delimiter_.prefix().size() &&
      !stated_payload(delimiter_.prefix(), std::string_view(buf_).substr(head_), &stated))
    claimed_ = stated;
  return claimed_.has_value();
}

std::string framer::overflow_reason() const {
  if (!claimed_ || delimiter_.type() != read_delimiter::kind::length)
    return "receive buffer exceeded buffer_size without a frame";
  const auto& p = delimiter_.prefix();
  auto stated = *claimed_;
  if (p.counts_itself() && stated < p.size())
    return "a length prefix stated " + std::to_string(stated) + " bytes, less than its own " +
           std::to_string(p.size());
  auto payload = p.counts_itself() ? stated - p.size() : stated;
  return "a length prefix claimed a frame of " + std::to_string(payload) +
         " bytes, over max_frame " + std::to_string(p.max_frame());
}

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
  case read_delimiter::kind::length: {
    const auto& p = delimiter_.prefix();
    auto payload = stated_payload(p, rest, nullptr);
    if (!payload || rest.size() - p.size() < *payload)
      return false; // incomplete, or out of bounds (feed reports that)
    auto n = static_cast<std::size_t>(*payload);
    frame = rest.substr(p.size(), n);
    head_ += p.size() + n;
    break;
  }
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
