// Dispatchers and Pants channels on one engine: a socket_map made on the
// engine a Pants server runs on, the engine run by engine::start() (not by
// asyncore's loop), on every backend ctest runs the suite with.

#define BOOST_TEST_MODULE asyncore_mixed
#include "pants/asyncore/asyncore.hpp"
#include "pants/pants.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ac = pants::asyncore;
using namespace std::chrono_literals;

namespace suite {

/// Pants' echo connection, as in examples/echo_server.cpp.
struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

/// An async_chat client that stops the engine once it has `want` lines.
class client : public ac::async_chat {
public:
  client(ac::socket_map* m, const pants::endpoint& to, std::size_t want)
      : ac::async_chat(m), want_(want) {
    create_socket(to.family(), SOCK_STREAM);
    connect(to);
    set_terminator("\n");
  }
  void found_terminator() override {
    lines.push_back(get_data());
    if (lines.size() == want_)
      map()->get_engine().stop();
  }
  std::vector<std::string> lines;

private:
  std::size_t want_;
};

/// Stops `eng` after `limit` unless cancelled first: bounds a start().
class watchdog {
public:
  watchdog(pants::engine& eng, std::chrono::seconds limit)
      : thread_([this, &eng, limit] {
          std::unique_lock<std::mutex> lock(mtx_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            fired = true;
            eng.stop();
          }
        }) {}
  ~watchdog() {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired = false;

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace suite
using namespace suite;

BOOST_AUTO_TEST_CASE(a_dispatcher_talks_to_a_pants_server_on_the_same_engine) {
  auto& eng = pants::engine::instance();
  auto srv = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  srv->listen(pants::endpoint::numeric("127.0.0.1", 0));
  ac::socket_map shared(eng);
  auto c = ac::make<client>(&shared, pants::endpoint::numeric("127.0.0.1", srv->port()), 3);
  c->push("hello\n");
  c->push("from asyncore\n\n");
  {
    watchdog dog(eng, 10s);
    eng.start(); // Pants' loop: the map's prepare hook asks readable()/writable()
    BOOST_TEST(!dog.fired);
  }
  BOOST_TEST(c->lines == (std::vector<std::string>{"hello", "from asyncore", ""}));
  BOOST_TEST(std::string(eng.backend_name()) != ""); // the engine's own backend served both
  srv->close();
  c->close();
  BOOST_TEST(shared.empty());
}

BOOST_AUTO_TEST_CASE(exit_now_on_an_engine_run_by_start_stops_it) {
  auto& eng = pants::engine::instance();
  ac::socket_map shared(eng);
  class quitter : public ac::dispatcher {
  public:
    explicit quitter(ac::socket_map* m) : ac::dispatcher(m) {
      create_socket(AF_INET, SOCK_STREAM);
      bind("127.0.0.1", 0);
      listen(1);
    }
    void handle_accept() override {
      accepted = true;
      throw ac::exit_now();
    }
    bool accepted = false;
  };
  auto q = ac::make<quitter>(&shared);
  auto peer = ac::make<ac::dispatcher>(&shared);
  peer->create_socket(AF_INET, SOCK_STREAM);
  peer->connect(q->socket().getsockname());
  {
    watchdog dog(eng, 10s);
    eng.start();
    BOOST_TEST(!dog.fired);
  }
  BOOST_TEST(q->accepted);
  ac::close_all(&shared);
}
