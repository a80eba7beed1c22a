#include "pants/asyncore/socket_map.hpp"

#include "pants/asyncore/dispatcher.hpp"
#include "pants/channels/errors.hpp"
#include "pants/engine/backend.hpp"
#include "pants/engine/engine.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

namespace pants::asyncore {

struct socket_map::busy_scope {
  explicit busy_scope(socket_map& m) : map(m) { ++map.busy_; }
  ~busy_scope() {
    if (--map.busy_ == 0) {
      auto gone = std::move(map.released_); // destructors may close others
      map.released_.clear();
    }
  }
  socket_map& map;
};

struct socket_map::watch final : io_handler {
  watch(socket_map& m, dispatcher& disp) : map(m), d(disp) {}
  void handle_io(std::uint32_t events) override { map.handle(d, events); }
  socket_map& map;
  dispatcher& d;
};

namespace {
void require_backend(const std::string& name) {
  if (name != "select" && name != "poll")
    throw std::invalid_argument("pants::asyncore::socket_map: the backend is \"select\" or "
                                "\"poll\", not \"" +
                                name + "\"");
}
/// Why the map's engine cannot watch descriptor `fd`, and asyncore's way out.
std::string refusal_message(int fd, const char* why) {
  return "pants::asyncore: descriptor " + std::to_string(fd) + ": " + why +
         " (asyncore: loop(timeout, true) polls with poll(2))";
}

} // namespace

socket_map::socket_map(const std::string& backend) {
  require_backend(backend);
  own_ = std::make_unique<engine>(backend);
  eng_ = own_.get();
  prepare_ = eng_->prepare([this] { refresh(); });
}

socket_map::socket_map(engine& eng) : eng_(&eng) {
  prepare_ = eng_->prepare([this] { refresh(); });
}

socket_map::~socket_map() {
  prepare_.cancel();
  try {
    close_all(this, true);
  } catch (...) { // an exit_now from a close(): the others still leave
  }
  for (auto* d : channels())
    remove(*d);
}

socket_map& socket_map::default_map() {
  static socket_map map;
  return map;
}

dispatcher* socket_map::find(int fd) const noexcept {
  auto i = entries_.find(fd);
  return i == entries_.end() ? nullptr : i->second.d;
}

std::vector<dispatcher*> socket_map::channels() const {
  std::vector<dispatcher*> out;
  out.reserve(entries_.size());
  for (const auto& [fd, e] : entries_)
    out.push_back(e.d);
  return out;
}

std::string socket_map::refusal(int fd) const {
  auto why = eng_->refusal(fd);
  return why != nullptr ? refusal_message(fd, why) : std::string();
}

void socket_map::add(dispatcher& d) {
  int fd = d.fileno();
  if (entries_.count(fd) != 0)
    throw state_error("pants::asyncore: descriptor " + std::to_string(fd) +
                      " is in the map already");
  if (auto why = refusal(fd); !why.empty())
    throw os_error(EMFILE, why);
  eng_->add(fd, 0, std::make_shared<watch>(*this, d));
  entries_.emplace(fd, entry{&d, nullptr});
  d.in_map_ = this;
}

void socket_map::adopt(dispatcher& d) {
  auto i = entries_.find(d.fileno());
  if (i != entries_.end() && i->second.d == &d && !i->second.strong)
    i->second.strong = d.weak_from_this().lock();
}

std::shared_ptr<dispatcher> socket_map::remove(dispatcher& d) noexcept {
  d.in_map_ = nullptr;
  auto i = entries_.find(d.fileno());
  if (i == entries_.end() || i->second.d != &d)
    return nullptr;
  auto strong = std::move(i->second.strong);
  entries_.erase(i);
  eng_->remove(d.fileno());
  if (busy_ > 0 && strong) {
    released_.push_back(std::move(strong));
    return nullptr;
  }
  return strong;
}

void socket_map::refresh() {
  if (entries_.empty())
    return;
  busy_scope busy(*this);
  auto& now = asked_; // kept between iterations: no allocation per wait
  now.clear();
  for (auto& [fd, e] : entries_) {
    if (!e.strong)
      e.strong = e.d->weak_from_this().lock(); // made by make_shared: the map keeps it
    now.emplace_back(fd, e.d);
  }
  for (auto [fd, d] : now) {
    auto i = entries_.find(fd);
    if (i == entries_.end() || i->second.d != d)
      continue; // closed by an earlier dispatcher's readable() or writable()
    std::uint32_t mask = 0;
    try {
      try {
        if (d->readable())
          mask |= io_event::readable | (d->accepting() ? 0 : io_event::priority);
        if (d->writable() && !d->accepting())
          mask |= io_event::writable;
      } catch (const exit_now&) {
        throw;
      } catch (...) {
        d->handle_error();
      }
    } catch (const exit_now&) {
      leave(std::current_exception());
    } catch (...) {
      d->close(); // handle_error threw too
    }
    if (d->open() && d->in_map_ == this)
      eng_->modify(fd, mask);
  }
}

void socket_map::handle(dispatcher& d, std::uint32_t events) {
  busy_scope busy(*this); // keeps `d`, and any dispatcher its handlers close, alive
  try {
    d.handle_events(events);
  } catch (const exit_now&) {
    leave(std::current_exception());
  }
}

void socket_map::leave(std::exception_ptr exit) noexcept {
  if (polling_)
    exit_ = std::move(exit); // loop() rethrows it
  else
    eng_->stop(); // on an engine run by start(): exit_now stops it
}

void socket_map::use_backend(const char* name) {
  if (std::string(eng_->backend_name()) == name)
    return;
  // Dispatchers the new backend cannot watch (select: a descriptor at or
  // above FD_SETSIZE) are told through handle_error, and close.
  auto probe = backend::make(name);
  std::vector<std::pair<dispatcher*, std::string>> refused;
  for (auto& [fd, e] : entries_)
    if (auto why = probe->refusal(fd))
      refused.emplace_back(e.d, refusal_message(fd, why));
  for (auto& [d, why] : refused) {
    try {
      throw os_error(EMFILE, why);
    } catch (const os_error&) {
      try {
        d->handle_error();
      } catch (...) {
        d->close();
      }
    }
    if (d->in_map_ == this)
      remove(*d); // a handle_error that did not close
  }
  try {
    eng_->use_backend(name);
  } catch (const std::system_error& e) {
    throw os_error(e.code().value(), e.what()); // a descriptor not of this map
  }
}

void socket_map::poll(std::chrono::milliseconds timeout, bool use_poll) {
  if (polling_ || eng_->in_engine_thread() || eng_->running())
    throw state_error("pants::asyncore::loop: the map's engine is running already (loop() "
                      "called from a handler, or an engine started elsewhere)");
  busy_scope busy(*this);
  if (own_)
    use_backend(use_poll ? "poll" : "select");
  polling_ = true;
  struct reset {
    bool& flag;
    ~reset() { flag = false; }
  } guard{polling_};
  eng_->poll(timeout);
  if (exit_)
    std::rethrow_exception(std::exchange(exit_, nullptr));
}

void loop(std::chrono::milliseconds timeout, bool use_poll, socket_map* map,
          std::optional<std::size_t> count) {
  if (timeout.count() < 0)
    throw std::invalid_argument("pants::asyncore::loop: a negative timeout");
  auto& m = map != nullptr ? *map : socket_map::default_map();
  for (std::size_t i = 0; !m.empty() && (!count || i < *count); ++i)
    m.poll(timeout, use_poll);
}

void close_all(socket_map* map, bool ignore_all) {
  auto& m = map != nullptr ? *map : socket_map::default_map();
  socket_map::busy_scope busy(m); // none is destroyed before all are closed
  std::exception_ptr first;
  for (auto* d : m.channels()) {
    if (m.find(d->fileno()) != d)
      continue; // closed by an earlier one's close()
    try {
      d->close();
    } catch (const exit_now&) {
      throw;
    } catch (...) {
      if (!ignore_all && !first)
        first = std::current_exception();
    }
  }
  // A close() that did not leave the map (an override that skipped
  // dispatcher::close) leaves it now, as Python's close_all clears the map.
  for (auto* d : m.channels())
    m.remove(*d);
  if (first)
    std::rethrow_exception(first);
}

} // namespace pants::asyncore
