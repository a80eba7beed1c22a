#include "pants/asyncore/dispatcher.hpp"

#include "pants/channels/errors.hpp"
#include "pants/channels/os_errors.hpp" // would_block, retry_on_eintr
#include "pants/engine/io_handler.hpp"
#include "pants/engine/log.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <typeinfo>
#include <unistd.h>

namespace pants::asyncore {

std::set<std::string> dispatcher::ignore_log_types{"warning"};

namespace {

/// Python's _DISCONNECTED: errors that mean the peer is gone.
bool disconnected(int code) noexcept {
  return code == ECONNRESET || code == ENOTCONN || code == ESHUTDOWN || code == ECONNABORTED ||
         code == EPIPE || code == EBADF;
}

std::string type_name(const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : t.name();
  std::free(name);
  return out;
}

/// "<type>: <what>" of the exception being handled.
std::string describe_current() {
  auto e = std::current_exception();
  if (!e)
    return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return type_name(typeid(x)) + ": " + x.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int socket_option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0)
    return -1;
  return value;
}

/// os_error adds the reason: "bind to 127.0.0.1:80: Permission denied".
[[noreturn]] void throw_os(int code, const std::string& what) { throw os_error(code, what); }

/// `host` and `port` as an address a socket of `family` can use: numeric,
/// or resolved (blocking); an empty host is every interface.
endpoint address_for(int family, const std::string& host, long port, bool passive) {
  if (host.empty() && passive)
    return endpoint::numeric(family == AF_INET6 ? "::" : "0.0.0.0", port);
  if (host.empty())
    throw address_error("pants::asyncore: an empty host");
  if (endpoint::is_numeric_host(host))
    return endpoint::numeric(host, port).for_family(family);
  std::string error;
  for (const auto& e : endpoint::resolve(host, endpoint::check_port(port), error))
    if (e.family() == family)
      return e;
  throw address_error("pants::asyncore: cannot resolve " + host +
                      (error.empty() ? std::string(" for this address family") : ": " + error));
}

} // namespace

// -- socket_handle ---------------------------------------------------------------

socket_handle& socket_handle::operator=(socket_handle&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void socket_handle::close() noexcept {
  if (fd_ >= 0)
    ::close(std::exchange(fd_, -1));
}

// -- dispatcher: the socket ---------------------------------------------------------

dispatcher::dispatcher(socket_map* map) : home_(map) {}

dispatcher::dispatcher(socket_handle sock, socket_map* map) : home_(map) {
  set_socket(std::move(sock));
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  connected_ = ::getpeername(fileno(), reinterpret_cast<sockaddr*>(&peer), &len) == 0;
  addr_ = socket_.getpeername();
}

dispatcher::~dispatcher() {
  del_channel();
  unix_file_.remove();
}

void dispatcher::require_socket(const char* what) const {
  if (!socket_)
    throw state_error(std::string("pants::asyncore::dispatcher::") + what +
                      ": no socket (create_socket() first, or it was closed)");
}

void dispatcher::create_socket(int family, int type) {
  if (socket_)
    throw state_error("pants::asyncore::dispatcher::create_socket: it has a socket already");
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw_os(errno, "pants::asyncore::dispatcher::create_socket");
  take_socket(socket_handle(fd), nullptr);
}

void dispatcher::set_socket(socket_handle sock, socket_map* map) {
  take_socket(std::move(sock), map);
  wrapped_ = true;
  accepting_ = socket_option(fileno(), SOL_SOCKET, SO_ACCEPTCONN) == 1; // a listener given
}

void dispatcher::take_socket(socket_handle sock, socket_map* map) {
  if (socket_)
    throw state_error("pants::asyncore::dispatcher::set_socket: it has a socket already");
  if (!sock)
    throw std::invalid_argument("pants::asyncore::dispatcher::set_socket: no descriptor");
  set_nonblocking(sock.fd());
  int family = socket_option(sock.fd(), SOL_SOCKET, SO_DOMAIN);
  int type = socket_option(sock.fd(), SOL_SOCKET, SO_TYPE);
  socket_ = std::move(sock);
  try {
    add_channel(map);
  } catch (...) {
    socket_.close(); // refused by the engine: closed, nothing else changed
    throw;
  }
  family_ = family;
  type_ = type;
}

void dispatcher::add_channel(socket_map* map) {
  require_socket("add_channel");
  auto& m = map != nullptr ? *map : home_ != nullptr ? *home_ : socket_map::default_map();
  if (in_map_ == &m)
    return;
  del_channel();
  m.add(*this);
}

std::shared_ptr<dispatcher> dispatcher::del_channel() noexcept {
  if (in_map_ == nullptr)
    return nullptr;
  return in_map_->remove(*this);
}

void dispatcher::set_reuse_addr() {
  require_socket("set_reuse_addr");
  int on = 1;
  if (::setsockopt(fileno(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    throw_os(errno, "pants::asyncore::dispatcher::set_reuse_addr");
}

void dispatcher::connect(const endpoint& address) {
  require_socket("connect");
  if (accepting_)
    throw state_error("pants::asyncore::dispatcher::connect: the socket is listening");
  if (connected_ || connecting_)
    throw state_error("pants::asyncore::dispatcher::connect: connected or connecting already");
  auto target = address.for_family(family_);
  if (retry_on_eintr([&] { return ::connect(fileno(), target.data(), target.size()); }) != 0 &&
      errno != EINPROGRESS && errno != EALREADY && errno != EISCONN)
    throw_os(errno, "connect to " + target.to_string());
  // Connected or not yet: handle_connect comes with the first write event
  // (a Unix socket's is immediate), never from inside this call.
  connecting_ = true;
  addr_ = address;
}

void dispatcher::connect(const std::string& host, long port) {
  require_socket("connect");
  connect(address_for(family_, host, port, false));
}

void dispatcher::bind(const endpoint& address) {
  require_socket("bind");
  auto where = address.for_family(family_);
  unix_socket_file::prepare(where, type_);
  if (::bind(fileno(), where.data(), where.size()) != 0)
    throw_os(errno, "bind to " + where.to_string());
  unix_file_.bound(fileno());
  addr_ = address;
}

void dispatcher::bind(const std::string& host, long port) {
  require_socket("bind");
  bind(address_for(family_, host, port, true));
}

void dispatcher::listen(int backlog) {
  require_socket("listen");
  if (accepting_)
    throw state_error("pants::asyncore::dispatcher::listen: listening already");
  if (connected_ || connecting_)
    throw state_error("pants::asyncore::dispatcher::listen: the socket is connected");
  if (::listen(fileno(), backlog) != 0)
    throw_os(errno, "listen on " + socket_.getsockname().to_string());
  accepting_ = true;
}

std::optional<accepted> dispatcher::accept() {
  require_socket("accept");
  if (!accepting_)
    throw state_error("pants::asyncore::dispatcher::accept: the socket is not listening");
  endpoint peer;
  socklen_t len = endpoint::capacity();
  int fd = retry_on_eintr(
      [&] { return ::accept4(fileno(), peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC); });
  if (fd < 0) {
    if (would_block(errno) || errno == ECONNABORTED)
      return std::nullopt;
    throw_os(errno, "accept on " + socket_.getsockname().to_string());
  }
  peer.resize(len);
  socket_handle sock(fd);
  // One the map's engine cannot watch (select: at or above FD_SETSIZE) is
  // closed here, so that a flood of connections costs those connections,
  // never the listener. Logged on the 1st, 2nd, 4th, 8th, ... refusal.
  if (auto why = in_map_ != nullptr ? in_map_->refusal(fd) : std::string(); !why.empty()) {
    auto n = ++refused_;
    if ((n & (n - 1)) == 0)
      log_info("closed a connection from " + peer.to_string() + " (" + std::to_string(n) +
                   " so far): " + why,
               "error");
    return std::nullopt;
  }
  return accepted{std::move(sock), peer};
}

void dispatcher::require_sendable(const char* what) const {
  require_socket(what);
  if (accepting_)
    throw state_error(std::string("pants::asyncore::dispatcher::") + what +
                      ": the socket is listening");
  if (type_ == SOCK_STREAM && !connected_ && !connecting_ && !wrapped_)
    throw state_error(std::string("pants::asyncore::dispatcher::") + what +
                      ": not connected (connect() first)");
}

std::size_t dispatcher::send(std::string_view data, int flags) {
  require_sendable("send");
  auto n = retry_on_eintr(
      [&] { return ::send(fileno(), data.data(), data.size(), flags | MSG_NOSIGNAL); });
  if (n >= 0)
    return static_cast<std::size_t>(n);
  if (would_block(errno))
    return 0;
  if (disconnected(errno)) {
    handle_close();
    return 0;
  }
  throw_os(errno, "send to " + addr_.to_string());
}

std::string dispatcher::recv(std::size_t buffer_size, int flags) {
  if (buffer_size == 0)
    throw std::invalid_argument(
        "pants::asyncore::dispatcher::recv: buffer_size must be at least 1");
  require_sendable("recv");
  std::string data(buffer_size, '\0');
  auto n = retry_on_eintr([&] { return ::recv(fileno(), data.data(), data.size(), flags); });
  if (n > 0 || (n == 0 && type_ != SOCK_STREAM)) {
    data.resize(static_cast<std::size_t>(n));
    return data;
  }
  if (n < 0 && (would_block(errno) || (errno == EINVAL && (flags & MSG_OOB) != 0)))
    return {}; // nothing yet (or no urgent byte)
  if (n < 0 && !disconnected(errno))
    throw_os(errno, "recv from " + addr_.to_string());
  handle_close(); // the end of the stream, a reset
  return {};
}

void dispatcher::close() {
  connected_ = accepting_ = connecting_ = wrapped_ = false;
  auto keep = del_channel(); // the map's reference, released when this returns
  unix_file_.remove();
  socket_.close();
}

// -- dispatcher: handlers ---------------------------------------------------------------

void dispatcher::handle_read() { log_info("unhandled read event", "warning"); }
void dispatcher::handle_write() { log_info("unhandled write event", "warning"); }
void dispatcher::handle_expt() { log_info("unhandled incoming priority event", "warning"); }
void dispatcher::handle_connect() { log_info("unhandled connect event", "warning"); }

void dispatcher::handle_close() {
  log_info("unhandled close event", "warning");
  close();
}

void dispatcher::handle_error() {
  log_info("uncaptured exception, closing channel " + repr() + " (" + describe_current() + ")",
           "error");
  handle_close();
}

void dispatcher::handle_accept() {
  if (auto pair = accept())
    handle_accepted(std::move(pair->sock), pair->addr);
}

void dispatcher::handle_accepted(socket_handle sock, const endpoint&) {
  sock.close();
  log_info("unhandled accepted event", "warning");
}

bool dispatcher::readable() { return true; }
bool dispatcher::writable() { return true; }

// -- dispatcher: the event layer ------------------------------------------------------

void dispatcher::handle_read_event() {
  if (accepting_) {
    handle_accept();
  } else if (!connected_) {
    if (connecting_)
      handle_connect_event();
    if (open())
      handle_read();
  } else {
    handle_read();
  }
}

void dispatcher::handle_write_event() {
  if (accepting_)
    return;
  if (!connected_ && connecting_)
    handle_connect_event();
  if (open())
    handle_write();
}

void dispatcher::handle_expt_event() {
  int err = socket_option(fileno(), SOL_SOCKET, SO_ERROR);
  if (err != 0) {
    handle_close();
    return;
  }
  handle_expt();
  // Urgent data the handler left unread would report again at once: drop it.
  char byte;
  if (open() && ::recv(fileno(), &byte, 1, MSG_OOB | MSG_PEEK) == 1)
    ::recv(fileno(), &byte, 1, MSG_OOB);
}

void dispatcher::handle_connect_event() {
  int err = socket_option(fileno(), SOL_SOCKET, SO_ERROR);
  if (err != 0)
    throw_os(err, "connect to " + addr_.to_string());
  connected_ = true;
  connecting_ = false;
  handle_connect();
}

void dispatcher::handle_events(std::uint32_t events) {
  try {
    try {
      if (events & io_event::readable)
        handle_read_event();
      if (open() && (events & io_event::writable))
        handle_write_event();
      if (open() && (events & io_event::priority))
        handle_expt_event();
      // A hang-up with data to read is left to the reads: they end with
      // recv's empty result (and handle_close), so nothing is lost.
      if (open() && (events & (io_event::error | io_event::hangup)) &&
          !(events & io_event::readable))
        handle_close();
    } catch (const exit_now&) {
      throw;
    } catch (const os_error& e) {
      if (disconnected(e.code()))
        handle_close();
      else
        handle_error();
    } catch (...) {
      handle_error();
    }
  } catch (const exit_now&) {
    throw;
  } catch (...) {
    pants::log(log_level::error,
               "handle_error of " + repr() + " threw (" + describe_current() + "); closing it");
    close();
  }
}

// -- state and logging ---------------------------------------------------------------

std::string dispatcher::repr() const {
  std::ostringstream out;
  out << '<' << type_name(typeid(*this));
  if (accepting_ && !addr_.empty())
    out << " listening";
  else if (connected_)
    out << " connected";
  if (auto where = addr_.to_string(); !where.empty())
    out << ' ' << where;
  out << " at " << static_cast<const void*>(this) << '>';
  return out.str();
}

void dispatcher::log(const std::string& message) const {
  pants::log(log_level::info, "log: " + message);
}

// Through the library's log sink, at the level the type names.
void dispatcher::log_info(const std::string& message, const std::string& type) {
  if (ignore_log_types.count(type) != 0)
    return;
  auto level = type == "error"     ? log_level::error
               : type == "warning" ? log_level::warning
                                   : log_level::info;
  pants::log(level, type + ": " + message);
}

// -- dispatcher_with_send -------------------------------------------------------------

std::size_t dispatcher_with_send::send(std::string_view data, int flags) {
  (void)flags;
  require_sendable("send");
  out_buffer.append(data);
  initiate_send();
  return data.size();
}

void dispatcher_with_send::initiate_send() {
  constexpr std::size_t most = 65536;
  if (out_buffer.empty())
    return;
  auto sent = dispatcher::send(std::string_view(out_buffer).substr(0, most));
  out_buffer.erase(0, sent);
}

} // namespace pants::asyncore
