#pragma once

// A server-side connection that logs its callbacks into its own event_log,
// and a fixture whose servers make them, on an address of any family.
// Include after <boost/test/unit_test.hpp> (which the test file includes
// after defining BOOST_TEST_MODULE).

#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "support/family.hpp"
#include "support/loopback.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pants::test {

/// A connection that logs its callbacks into its own event_log and runs
/// optional hooks (set before the channel starts, by the server's factory).
/// Without a read hook, each frame is logged as "read:<frame>".
class probe : public connection {
public:
  explicit probe(pants::engine& eng) : connection(eng) {}

  event_log events;
  std::function<void(probe&)> connect_hook;
  std::function<void(probe&, std::string_view)> read_hook;
  std::function<void(probe&)> write_hook;
  std::function<void(probe&, const net_error&)> overflow_hook; // after "overflow" is logged
  bool close_on_overflow = true;

  /// The frames logged so far, in order.
  std::vector<std::string> frames() {
    std::vector<std::string> out;
    for (auto& e : events.snapshot())
      if (e.rfind("read:", 0) == 0)
        out.push_back(e.substr(5));
    return out;
  }

protected:
  void on_connect() override {
    events.add("connect");
    if (connect_hook)
      connect_hook(*this);
  }
  void on_read(std::string_view data) override {
    if (read_hook)
      read_hook(*this, data);
    else
      events.add("read:" + std::string(data));
  }
  void on_write() override {
    events.add("write");
    if (write_hook)
      write_hook(*this);
  }
  void on_overflow_error(const net_error& e) override {
    events.add("overflow");
    if (overflow_hook)
      overflow_hook(*this, e);
    if (close_on_overflow)
      connection::on_overflow_error(e);
  }
  void on_read_error(const net_error&) override { events.add("read_error"); }
  void on_write_error(const net_error&) override { events.add("write_error"); }
  void on_close() override { events.add("close"); }
  void on_tls_handshake() override { events.add("tls"); }
  void on_tls_error(const net_error& e) override { events.add("tls_error:" + e.message); }
  void on_error(const std::exception& e) override { events.add(std::string("error:") + e.what()); }
};

inline void echo(probe& p) {
  p.read_hook = [](probe& self, std::string_view data) { self.write(data); };
}

/// The channels a server's factory made, shared with the factory so a late
/// accept never touches a finished test.
struct made_channels {
  std::mutex mtx;
  std::vector<std::shared_ptr<probe>> all;
  event_log accepts;
};

/// An engine on its own thread and servers whose factories make probes;
/// on destruction every server and probe is closed and the engine idle.
struct probe_fixture {
  engine eng;
  engine_thread loop{eng};
  std::shared_ptr<made_channels> made = std::make_shared<made_channels>();
  address_maker addresses;
  std::vector<std::shared_ptr<server>> servers;
  std::size_t taken = 0;

  /// A server on a fresh address of `fam` making probes prepared by
  /// `setup`; returns the address to connect to.
  endpoint serve(family fam, std::function<void(probe&)> setup) {
    auto m = made;
    auto* e = &eng;
    auto srv = std::make_shared<server>(
        [m, e, setup] {
          auto p = std::make_shared<probe>(*e);
          if (setup)
            setup(*p);
          {
            std::lock_guard<std::mutex> guard(m->mtx);
            m->all.push_back(p);
          }
          m->accepts.add("accept");
          return p;
        },
        eng);
    servers.push_back(srv);
    return addresses.listen(*srv, fam);
  }

  /// Waits (bounded) until `pred()` holds, checking once per engine turn.
  template <class Pred> bool eventually(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      loop.call([] { return 0; });
    }
    return true;
  }

  /// The next channel the servers accepted, in accept order (bounded wait).
  std::shared_ptr<probe> next_channel() {
    BOOST_REQUIRE(made->accepts.wait_count("accept", taken + 1));
    std::lock_guard<std::mutex> guard(made->mtx);
    return made->all[taken++];
  }

  ~probe_fixture() {
    for (auto& s : servers)
      s->close();
    std::vector<std::shared_ptr<probe>> all;
    {
      std::lock_guard<std::mutex> guard(made->mtx);
      all = made->all;
    }
    for (auto& p : all) {
      p->close();
      p->events.wait_count("close");
    }
    loop.wait_no_handles();
  }
};

} // namespace pants::test
