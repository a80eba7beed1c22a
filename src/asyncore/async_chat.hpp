#pragma once

#include "pants/asyncore/dispatcher.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pants::asyncore {

/// What ends a piece of input (Python's terminator): nothing (all data is
/// collected as it comes), a byte string, or a byte count (counted down as
/// data arrives; 0 once reached, which collects like nothing).
using terminator = std::variant<std::monostate, std::string, std::size_t>;

/// Python's producer: `more()` gives the next piece to send, empty when
/// there is no more.
class producer {
public:
  virtual ~producer() = default;
  virtual std::string more() = 0;
};

/// Python's `simple_producer`: `data` in pieces of `buffer_size` bytes.
class simple_producer : public producer {
public:
  explicit simple_producer(std::string data, std::size_t buffer_size = 512);
  std::string more() override;

private:
  std::string data_;
  std::size_t buffer_size_;
};

/// The length of the longest prefix of `needle` that `haystack` ends with,
/// shorter than `needle` (Python's `find_prefix_at_end`): how much of a
/// terminator may be split across reads.
std::size_t find_prefix_at_end(std::string_view haystack, std::string_view needle) noexcept;

/// Python's `asynchat.async_chat`: a dispatcher that splits its input at a
/// terminator and sends a queue of data and producers.
///
/// Input: each read (`ac_in_buffer_size` bytes at most) is split at the
/// terminator; the bytes before it go to `collect_incoming_data` and its
/// end to `found_terminator`, which may change the terminator for the data
/// still buffered. A string terminator split across reads is found.
///
/// Output: `push` and `push_with_producer` queue; what is queued is sent in
/// pieces of `ac_out_buffer_size` bytes as the socket takes them;
/// `close_when_done` closes after the queue is sent.
class async_chat : public dispatcher {
public:
  explicit async_chat(socket_map* map = nullptr) : dispatcher(map) {}
  explicit async_chat(socket_handle sock, socket_map* map = nullptr)
      : dispatcher(std::move(sock), map) {}

  /// The most each read takes, and the size of the pieces output is sent
  /// in (the seed's defaults); set them in the constructor.
  std::size_t ac_in_buffer_size = 4096;
  std::size_t ac_out_buffer_size = 4096;
  /// The most the default `collect_incoming_data` holds before a
  /// terminator (0: no limit): a peer that never sends the terminator
  /// cannot grow memory without bound. Past it, the default collector
  /// throws std::length_error, which goes to `handle_error` (by default:
  /// reported, closed). Not in Python.
  std::size_t ac_max_incoming_size = 1 << 20;

  /// Input until the next terminator. Default: appends to a buffer that
  /// `get_data()` returns (Python's `_collect_incoming_data`), at most
  /// `ac_max_incoming_size` bytes.
  virtual void collect_incoming_data(std::string_view data);
  /// The terminator was found.
  virtual void found_terminator() = 0;

  /// A byte-string terminator (empty: none, as in Python).
  void set_terminator(std::string_view term);
  /// A byte count. Throws std::invalid_argument for a count below 1.
  void set_terminator(long long count);
  /// No terminator: every byte goes to `collect_incoming_data`.
  void set_terminator(std::nullopt_t);
  const terminator& get_terminator() const noexcept { return terminator_; }

  /// Queues `data` (split into pieces of `ac_out_buffer_size`) and sends
  /// what the socket takes now. An empty `data` queues nothing.
  void push(std::string_view data);
  /// Queues `p`: its pieces are sent in turn, after what is queued before
  /// it. Throws std::invalid_argument for a null producer.
  void push_with_producer(std::shared_ptr<producer> p);
  /// Closes (`handle_close`) once everything queued so far is sent.
  void close_when_done();
  /// Drops the input buffered and the output queued.
  void discard_buffers();
  /// Bytes queued by `push` and not sent yet (producers not drained count
  /// as nothing): for a server that drops a peer that does not keep up.
  /// Not in Python.
  std::size_t bytes_queued() const noexcept { return queued_; }
  /// Sends the next piece of the queue.
  void initiate_send();

  void handle_read() override;
  void handle_write() override { initiate_send(); }
  void handle_close() override { close(); }
  bool readable() override { return true; }
  bool writable() override { return !queue_.empty() || !connected(); }

protected:
  /// What the default `collect_incoming_data` gathered; clears it.
  std::string get_data();

private:
  struct piece {
    std::string data;
    std::shared_ptr<producer> from; // a producer not drained yet
    bool close = false;             // close_when_done's marker
  };
  terminator terminator_;
  std::string in_buffer_;
  std::string incoming_;
  std::deque<piece> queue_;
  std::size_t queued_ = 0; // bytes of data in queue_
};

} // namespace pants::asyncore
