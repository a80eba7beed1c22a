#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace pants {

/// The output queue of a stream socket: byte buffers and file regions, in
/// order; buffers go out with one gathering `sendmsg` (up to 64 at a time),
/// file regions with `sendfile`. Owns the file descriptors it holds.
///
/// Not thread-safe: its owner guards it (stream_socket's mutex); only
/// `bytes()` may be read from any thread.
class write_queue {
public:
  write_queue() = default;
  ~write_queue() { clear(); }
  write_queue(const write_queue&) = delete;
  write_queue& operator=(const write_queue&) = delete;

  bool empty() const noexcept { return !items_ || items_->empty(); }

  /// Bytes queued and not yet handed to the kernel. Safe from any thread.
  std::size_t bytes() const noexcept { return bytes_.load(); }

  /// Appends a copy of `data`.
  void push(std::string_view data);

  /// Appends `nbytes` of `file_fd` from `offset`; takes ownership of `file_fd`.
  void push_file(int file_fd, std::size_t offset, std::size_t nbytes);

  /// Checks a file region for `push_file`: `file_fd` an open regular file,
  /// `offset` inside it, `nbytes` (0: to the end) not past its end. Returns
  /// the region's size; throws std::invalid_argument otherwise.
  static std::size_t checked_region(int file_fd, off_t offset, std::size_t nbytes);

  /// Sends to socket `fd` until the queue is empty (returns true) or the
  /// kernel's buffer is full (false). A socket error sets `error` (an
  /// errno value) and returns false. A file that shrank since it was queued
  /// is sent as far as it goes.
  bool flush(int fd, int& error);

  /// Moves bytes from the front of the queue into `out` instead of sending
  /// them, until `out` holds `max` bytes or the queue is empty: buffers are
  /// copied, file regions read with `pread` (a file that shrank gives what
  /// is left). A read error sets `error` (an errno value) and returns false,
  /// keeping what `out` got. TLS encrypts a file this way, a piece at a time.
  bool read_out(std::string& out, std::size_t max, int& error);

  /// Drops everything queued, closing queued files.
  void clear() noexcept;

private:
  struct item {
    std::string bytes;
    std::size_t offset = 0; // bytes already sent, or the file position
    int file_fd = -1;
    std::size_t file_left = 0;
  };
  enum class step { progress, blocked, failed };

  step send_file(int fd, item& file, int& error);
  step send_buffers(int fd, int& error);
  static step failure(int& error);

  /// Made on the first push: libstdc++'s deque allocates about 576 bytes
  /// when constructed, and most sockets never queue (a write goes straight
  /// to the kernel when nothing is queued). A pointer, not an optional: 8
  /// bytes in every socket instead of the deque's 80.
  std::unique_ptr<std::deque<item>> items_;
  std::atomic<std::size_t> bytes_{0};
};

} // namespace pants
