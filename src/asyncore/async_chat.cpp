#include "pants/asyncore/async_chat.hpp"

#include "pants/channels/errors.hpp"

#include <stdexcept>
#include <utility>

namespace pants::asyncore {

simple_producer::simple_producer(std::string data, std::size_t buffer_size)
    : data_(std::move(data)), buffer_size_(buffer_size) {
  if (buffer_size == 0)
    throw std::invalid_argument("pants::asyncore::simple_producer: buffer_size must be at least 1");
}

std::string simple_producer::more() {
  std::string out = data_.substr(0, buffer_size_);
  data_.erase(0, out.size());
  return out;
}

std::size_t find_prefix_at_end(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.empty())
    return 0;
  for (auto l = needle.size() - 1; l > 0; --l)
    if (haystack.size() >= l && haystack.substr(haystack.size() - l) == needle.substr(0, l))
      return l;
  return 0;
}

void async_chat::collect_incoming_data(std::string_view data) {
  if (ac_max_incoming_size != 0 && incoming_.size() + data.size() > ac_max_incoming_size)
    throw std::length_error("pants::asyncore::async_chat: more than " +
                            std::to_string(ac_max_incoming_size) +
                            " bytes before the terminator (ac_max_incoming_size)");
  incoming_.append(data);
}

std::string async_chat::get_data() { return std::exchange(incoming_, std::string()); }

void async_chat::set_terminator(std::string_view term) {
  if (term.empty())
    terminator_ = std::monostate{};
  else
    terminator_ = std::string(term);
}

void async_chat::set_terminator(long long count) {
  if (count < 1)
    throw std::invalid_argument("pants::asyncore::async_chat::set_terminator: a byte count must "
                                "be at least 1, not " +
                                std::to_string(count));
  terminator_ = static_cast<std::size_t>(count);
}

void async_chat::set_terminator(std::nullopt_t) { terminator_ = std::monostate{}; }

void async_chat::handle_read() {
  std::string data;
  try {
    data = recv(ac_in_buffer_size);
  } catch (const os_error&) {
    handle_error();
    return;
  }
  in_buffer_ += data;
  // Python's loop: the terminator is read anew on each pass, so one that
  // found_terminator changes applies to the data already buffered.
  while (!in_buffer_.empty()) {
    auto lb = in_buffer_.size();
    if (auto* count = std::get_if<std::size_t>(&terminator_); count != nullptr && *count > 0) {
      // The count is updated first: collect_incoming_data may set another.
      if (lb < *count) {
        *count -= lb;
        collect_incoming_data(in_buffer_);
        in_buffer_.clear();
      } else {
        auto n = std::exchange(*count, 0);
        collect_incoming_data(std::string_view(in_buffer_).substr(0, n));
        in_buffer_.erase(0, n);
        found_terminator();
      }
    } else if (auto* term = std::get_if<std::string>(&terminator_)) {
      auto index = in_buffer_.find(*term);
      if (index != std::string::npos) {
        auto end = index + term->size(); // before found_terminator may change *term
        if (index > 0)
          collect_incoming_data(std::string_view(in_buffer_).substr(0, index));
        in_buffer_.erase(0, end);
        found_terminator();
      } else if (auto keep = find_prefix_at_end(in_buffer_, *term); keep > 0) {
        // The buffer ends with the start of the terminator: hold that part back.
        if (keep != lb) {
          collect_incoming_data(std::string_view(in_buffer_).substr(0, lb - keep));
          in_buffer_.erase(0, lb - keep);
        }
        break;
      } else {
        collect_incoming_data(in_buffer_);
        in_buffer_.clear();
      }
    } else {
      collect_incoming_data(in_buffer_); // no terminator (or a count reached)
      in_buffer_.clear();
    }
  }
}

void async_chat::push(std::string_view data) {
  auto most = ac_out_buffer_size == 0 ? data.size() : ac_out_buffer_size;
  for (std::size_t i = 0; i < data.size(); i += most)
    queue_.push_back(piece{std::string(data.substr(i, most)), nullptr});
  queued_ += data.size();
  initiate_send();
}

void async_chat::push_with_producer(std::shared_ptr<producer> p) {
  if (!p)
    throw std::invalid_argument("pants::asyncore::async_chat::push_with_producer: a null producer");
  queue_.push_back(piece{{}, std::move(p)});
  initiate_send();
}

void async_chat::close_when_done() { queue_.push_back(piece{{}, nullptr, true}); }

void async_chat::discard_buffers() {
  in_buffer_.clear();
  incoming_.clear();
  queue_.clear();
  queued_ = 0;
}

void async_chat::initiate_send() {
  while (!queue_.empty() && connected()) {
    auto& first = queue_.front();
    if (first.close) {
      queue_.pop_front();
      handle_close();
      return;
    }
    if (first.from) {
      auto from = first.from;
      auto data = from->more();
      if (data.empty()) {
        queue_.pop_front();
      } else {
        queued_ += data.size();
        queue_.push_front(piece{std::move(data), nullptr});
      }
      continue;
    }
    if (first.data.empty()) {
      queue_.pop_front();
      continue;
    }
    auto most = ac_out_buffer_size == 0 ? first.data.size() : ac_out_buffer_size;
    std::size_t sent;
    try {
      sent = send(std::string_view(first.data).substr(0, most));
    } catch (const os_error&) {
      handle_error();
      return;
    }
    if (sent > 0 && !queue_.empty()) {
      queued_ -= sent;
      auto& front = queue_.front(); // send may have closed (and discarded nothing)
      if (sent < front.data.size())
        front.data.erase(0, sent);
      else
        queue_.pop_front();
    }
    return; // one send per call, as in Python
  }
}

} // namespace pants::asyncore
