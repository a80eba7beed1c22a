#include "pants/channels/write_queue.hpp"

#include "pants/channels/os_errors.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pants {

void write_queue::push(std::string_view data) {
  bytes_ += data.size();
  if (!items_)
    items_ = std::make_unique<std::deque<item>>();
  items_->push_back(item{std::string(data)});
}

void write_queue::push_file(int file_fd, std::size_t offset, std::size_t nbytes) {
  bytes_ += nbytes;
  item file;
  file.offset = offset;
  file.file_fd = file_fd;
  file.file_left = nbytes;
  if (!items_)
    items_ = std::make_unique<std::deque<item>>();
  items_->push_back(std::move(file));
}

void write_queue::clear() noexcept {
  if (items_) {
    for (auto& i : *items_)
      if (i.file_fd >= 0)
        ::close(i.file_fd);
    items_->clear();
  }
  bytes_ = 0;
}

bool write_queue::read_out(std::string& out, std::size_t max, int& error) {
  while (!empty() && out.size() < max) {
    auto& front = items_->front();
    auto want = max - out.size();
    std::size_t used;
    if (front.file_fd < 0) {
      used = std::min(want, front.bytes.size() - front.offset);
      out.append(front.bytes, front.offset, used);
      front.offset += used;
      if (front.offset == front.bytes.size())
        items_->pop_front();
    } else {
      auto old = out.size();
      out.resize(old + std::min(want, front.file_left));
      ssize_t n = retry_on_eintr([&] {
        return ::pread(front.file_fd, &out[old], out.size() - old,
                       static_cast<off_t>(front.offset));
      });
      if (n < 0) {
        error = errno;
        out.resize(old);
        return false;
      }
      out.resize(old + static_cast<std::size_t>(n));
      // n == 0: the file shrank since write_file; drop what no longer exists.
      used = n == 0 ? front.file_left : static_cast<std::size_t>(n);
      front.offset += used;
      front.file_left -= used;
      if (front.file_left == 0) {
        ::close(front.file_fd);
        items_->pop_front();
      }
    }
    bytes_ -= used;
  }
  return true;
}

// EINTR never gets here: the calls are retried at once (channels/os_errors.hpp).
write_queue::step write_queue::failure(int& error) {
  if (would_block(errno))
    return step::blocked;
  error = errno;
  return step::failed;
}

bool write_queue::flush(int fd, int& error) {
  while (!empty()) {
    auto& front = items_->front();
    auto result = front.file_fd >= 0 ? send_file(fd, front, error) : send_buffers(fd, error);
    if (result != step::progress)
      return false;
  }
  return true;
}

write_queue::step write_queue::send_file(int fd, item& file, int& error) {
  auto off = static_cast<off_t>(file.offset);
  ssize_t n = retry_on_eintr([&] {
    return ::sendfile(fd, file.file_fd, &off, std::min<std::size_t>(file.file_left, 1u << 20));
  });
  if (n < 0)
    return failure(error);
  // n == 0: the file shrank since write_file; drop what no longer exists.
  auto sent = n == 0 ? file.file_left : static_cast<std::size_t>(n);
  file.offset += sent;
  file.file_left -= sent;
  bytes_ -= sent;
  if (file.file_left == 0) {
    ::close(file.file_fd);
    items_->pop_front();
  }
  return step::progress;
}

write_queue::step write_queue::send_buffers(int fd, int& error) {
  constexpr std::size_t max_iov = 64;
  iovec iov[max_iov];
  std::size_t count = 0;
  for (auto i = items_->begin(); i != items_->end() && count < max_iov && i->file_fd < 0; ++i)
    iov[count++] = {i->bytes.data() + i->offset, i->bytes.size() - i->offset};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  ssize_t n = retry_on_eintr([&] { return ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT); });
  if (n < 0)
    return failure(error);
  auto sent = static_cast<std::size_t>(n);
  bytes_ -= sent;
  while (sent > 0) {
    auto& front = items_->front();
    auto left = front.bytes.size() - front.offset;
    if (sent < left) {
      front.offset += sent;
      return step::blocked; // the kernel took part: its buffer is full
    }
    sent -= left;
    items_->pop_front();
  }
  return step::progress;
}

std::size_t write_queue::checked_region(int file_fd, off_t offset, std::size_t nbytes) {
  struct stat st {};
  if (file_fd < 0 || ::fstat(file_fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw std::invalid_argument("pants: write_file needs an open regular file");
  if (offset < 0 || offset > st.st_size)
    throw std::invalid_argument("pants: write_file offset is outside the file");
  auto available = static_cast<std::size_t>(st.st_size - offset);
  if (nbytes == 0)
    nbytes = available;
  if (nbytes > available)
    throw std::invalid_argument("pants: write_file region runs past the end of the file");
  return nbytes;
}

} // namespace pants
