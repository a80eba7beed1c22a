#include "pants/actors/stream_server.hpp"

#include "pants/actors/behavior_stream.hpp"
#include "pants/channels/errors.hpp"
#include "support/loopback.hpp"
#include "support/recorder.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE unix_stream
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

struct echo : unix_connection {
  using unix_connection::unix_connection;
  void on_read(std::string_view data) override { write(data); }
};

/// A recording Unix client that also logs the errno of a failed connect
/// ("code:<n>", just before "connect_error:<what>").
class unix_recorder : public basic_recorder<unix_client> {
public:
  unix_recorder(event_log& log, pants::engine& eng) : basic_recorder(log, eng), log_(log) {}

protected:
  void on_connect_error(const net_error& e) override {
    log_.add("code:" + std::to_string(e.code));
    basic_recorder::on_connect_error(e);
  }

private:
  event_log& log_;
};

/// A Unix server that logs "server_close" once its listener has closed.
class noted_server : public unix_server {
public:
  noted_server(factory make, pants::engine& eng, event_log& log)
      : unix_server(std::move(make), eng), log_(log) {}

protected:
  void on_close() override { log_.add("server_close"); }

private:
  event_log& log_;
};

std::string code(int err) { return "code:" + std::to_string(err); }

/// Index of the first event starting with `prefix`; -1 when there is none.
long first_prefix(const std::vector<std::string>& v, const std::string& prefix) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].compare(0, prefix.size(), prefix) == 0)
      return static_cast<long>(i);
  return -1;
}

/// Every "read:" payload, concatenated in order.
std::string all_reads(const std::vector<std::string>& v) {
  std::string out;
  for (auto& e : v)
    if (e.compare(0, 5, "read:") == 0)
      out += e.substr(5);
  return out;
}

/// The errno of the os_error that `srv.listen(path)` throws; 0 if none.
int listen_code(unix_server& srv, const std::string& path) {
  try {
    srv.listen(path);
  } catch (const os_error& e) {
    return e.code();
  }
  return 0;
}

struct fixture {
  engine eng;
  event_log log;        // clients
  event_log server_log; // the server and its connections
  engine_thread loop{eng};
  temp_dir dir;
  std::mutex made_mtx;
  std::vector<std::weak_ptr<stream>> made_channels;       // every channel made here
  std::vector<std::weak_ptr<stream_server>> made_servers; // every server made here

  // Callbacks log into the logs above: no channel or server may outlive them.
  ~fixture() { settle(); }

  template <class T> std::shared_ptr<T> keep(std::shared_ptr<T> made) {
    std::lock_guard<std::mutex> guard(made_mtx);
    if constexpr (std::is_base_of_v<stream_server, T>)
      made_servers.push_back(made);
    else
      made_channels.push_back(made);
    return made;
  }

  /// A server (not listening yet) whose connections come from `make`.
  std::shared_ptr<noted_server> make_server(stream_server::factory make) {
    auto tracked = [this, make] { return keep(make()); };
    return keep(std::make_shared<noted_server>(tracked, eng, server_log));
  }

  std::shared_ptr<unix_recorder> make_client(event_log& into) {
    return keep(std::make_shared<unix_recorder>(into, eng));
  }

  stream_server::factory echoes() {
    return [this] { return std::make_shared<echo>(eng); };
  }

  std::shared_ptr<noted_server> echo_server(const std::string& address) {
    auto srv = make_server(echoes());
    srv->listen(address);
    return srv;
  }

  /// A recording client connecting to `address`, writing `first` (if any)
  /// once connected.
  std::shared_ptr<unix_recorder> client(const std::string& address, event_log& into,
                                        const std::string& first = {}) {
    auto c = make_client(into);
    if (!first.empty())
      c->connect_hook = [first](auto& self) { self.write(first); };
    c->connect(address);
    return c;
  }

  /// Whether a line sent to `address` comes back whole, on a client of
  /// its own that is closed again before returning.
  bool echoes_back(const std::string& address, const std::string& line) {
    event_log own;
    auto c = std::make_shared<unix_recorder>(own, eng);
    c->connect_hook = [line](auto& self) {
      self.read_delimiter("\n");
      self.write(line + "\n");
    };
    c->connect(unix_path(address)); // the endpoint overload; client() uses the path one
    bool ok = own.wait_count("read:" + line);
    c->close();
    return own.wait_count("close") && ok;
  }

  bool all_gone() {
    std::lock_guard<std::mutex> guard(made_mtx);
    auto expired = [](const auto& w) { return w.expired(); };
    return std::all_of(made_channels.begin(), made_channels.end(), expired) &&
           std::all_of(made_servers.begin(), made_servers.end(), expired);
  }

  /// Closes everything still open and waits (bounded) until the framework
  /// has let go of every channel and server: no callback runs after this.
  void settle() {
    std::vector<std::shared_ptr<stream_server>> open_servers;
    std::vector<std::shared_ptr<stream>> open_channels;
    {
      std::lock_guard<std::mutex> guard(made_mtx);
      for (auto& w : made_servers)
        if (auto srv = w.lock())
          open_servers.push_back(srv);
      for (auto& w : made_channels)
        if (auto ch = w.lock())
          open_channels.push_back(ch);
    }
    for (auto& srv : open_servers)
      srv->close();
    for (auto& ch : open_channels)
      ch->close();
    open_servers.clear();
    open_channels.clear();
    auto deadline = std::chrono::steady_clock::now() + patience;
    bool gone = all_gone();
    while (!gone && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      gone = all_gone();
    }
    BOOST_CHECK_MESSAGE(gone, "a channel or server outlived its test");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(unix_stream_suite, fixture)

// -- echo in both handler styles -------------------------------------------------

BOOST_AUTO_TEST_CASE(pants_style_echo_over_a_path_round_trips_with_unix_addresses) {
  auto path = dir / "echo.sock";
  auto srv = echo_server(path);
  BOOST_TEST(srv->local_address() == path);
  BOOST_TEST(srv->port() == 0u);
  auto c = client(path, log, "hello");
  BOOST_REQUIRE(log.wait_count("read:hello"));
  BOOST_TEST(c->remote_address() == path);
  BOOST_TEST(c->local_address() == ""); // an unnamed client socket
  c->close();
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
}

BOOST_AUTO_TEST_CASE(pants_style_echo_over_an_abstract_name_round_trips) {
  auto name = unique_abstract_name();
  auto srv = echo_server(name);
  BOOST_TEST(srv->local_address() == name);
  BOOST_TEST(echoes_back(name, "abstract"));
  srv->close();
}

BOOST_AUTO_TEST_CASE(behavior_stream_echo_works_over_a_path_and_an_abstract_name) {
  auto echo_behavior = [](stream& self) -> caf::behavior {
    return {[&self](const read_msg& m) { self.write(m.data); }};
  };
  for (const auto& where : {dir / "behavior.sock", unique_abstract_name()}) {
    event_log clog;
    auto srv = make_server(behavior_stream::for_server(echo_behavior, eng));
    srv->listen(unix_path(where));
    auto c = keep(std::make_shared<behavior_stream>(
        [&clog](stream& self) -> caf::behavior {
          return {
              [&self](connected_msg) {
                self.read_delimiter("\n");
                self.write("ping\n");
              },
              [&clog](const read_msg& m) { clog.add("read:" + m.data); },
              [&clog](closed_msg) { clog.add("closed"); },
          };
        },
        eng));
    c->connect(unix_path(where));
    BOOST_TEST(clog.wait_count("read:ping"), where);
    c->close();
    BOOST_REQUIRE(clog.wait_count("closed"));
    srv->close();
  }
}

// -- the socket file ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(second_server_on_a_live_path_throws_eaddrinuse_and_the_first_keeps_serving) {
  auto path = dir / "taken.sock";
  auto first = echo_server(path);
  auto second = make_server(echoes());
  BOOST_TEST(listen_code(*second, path) == EADDRINUSE);
  BOOST_TEST(!second->listening());
  BOOST_TEST(second->local_address() == "");
  BOOST_TEST(exists(path));
  BOOST_TEST(echoes_back(path, "still first"));
  second->listen(dir / "other.sock"); // the failed server is still usable
  BOOST_TEST(echoes_back(dir / "other.sock", "second"));
  first->close();
  second->close();
}

BOOST_AUTO_TEST_CASE(live_abstract_name_throws_eaddrinuse_for_a_second_server) {
  auto name = unique_abstract_name();
  auto first = echo_server(name);
  auto second = make_server(echoes());
  BOOST_TEST(listen_code(*second, name) == EADDRINUSE);
  BOOST_TEST(echoes_back(name, "first"));
  first->close();
}

BOOST_AUTO_TEST_CASE(stale_socket_file_is_replaced_by_a_new_server) {
  auto path = dir / "stale.sock";
  raw_unix_socket(unix_path(path), SOCK_STREAM).close();
  BOOST_REQUIRE(exists(path));
  auto srv = echo_server(path);
  BOOST_TEST(echoes_back(path, "fresh"));
  srv->close();
}

BOOST_AUTO_TEST_CASE(regular_file_at_the_path_is_never_deleted) {
  auto path = dir / "notes.txt";
  write_text(path, "keep me");
  auto srv = make_server(echoes());
  BOOST_TEST(listen_code(*srv, path) == EADDRINUSE);
  BOOST_TEST(!srv->listening());
  BOOST_TEST(read_text(path) == "keep me");
}

BOOST_AUTO_TEST_CASE(socket_file_is_removed_when_the_server_closes) {
  auto path = dir / "gone.sock";
  auto srv = echo_server(path);
  BOOST_REQUIRE(exists(path));
  srv->close();
  BOOST_REQUIRE(server_log.wait_count("server_close"));
  BOOST_TEST(!exists(path));
  auto again = echo_server(path); // and the path is free for the next one
  BOOST_TEST(echoes_back(path, "again"));
  again->close();
}

BOOST_AUTO_TEST_CASE(abstract_name_is_free_again_once_the_server_closes) {
  auto name = unique_abstract_name();
  echo_server(name)->close();
  BOOST_REQUIRE(server_log.wait_count("server_close"));
  auto again = echo_server(name);
  BOOST_TEST(echoes_back(name, "again"));
  again->close();
}

// -- bad addresses --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(over_long_path_is_rejected_by_listen_and_connect_and_nothing_is_created) {
  auto base = dir.path() + "/";
  auto longest = base + std::string(107 - base.size(), 'a'); // the limit here
  auto too_long = longest + "b";
  auto srv = make_server(echoes());
  auto c = make_client(log);
  BOOST_CHECK_THROW(srv->listen(too_long), address_error);
  BOOST_CHECK_THROW(srv->listen("@" + std::string(108, 'n')), address_error);
  BOOST_CHECK_THROW(c->connect(too_long), address_error);
  BOOST_CHECK_THROW(c->connect(too_long + std::string(200, 'c')), address_error);
  BOOST_TEST(!srv->listening());
  BOOST_TEST(std::filesystem::is_empty(dir.path()));
  // Never truncated: the longest path works, and both objects are unchanged.
  srv->listen(longest);
  BOOST_TEST(srv->local_address() == longest);
  c->connect_hook = [](auto& self) { self.write("x"); };
  c->connect(longest);
  BOOST_TEST(log.wait_count("read:x"));
  c->close();
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
}

BOOST_AUTO_TEST_CASE(empty_path_lone_at_sign_and_nul_byte_are_rejected) {
  auto srv = make_server(echoes());
  auto c = make_client(log);
  for (const auto& bad : {std::string(), std::string("@"), std::string("/tmp/a\0b", 8)}) {
    BOOST_CHECK_THROW(unix_path(bad), address_error);
    BOOST_CHECK_THROW(srv->listen(bad), address_error);
    BOOST_CHECK_THROW(c->connect(bad), address_error);
  }
  BOOST_TEST(!srv->listening());
  BOOST_TEST(log.snapshot().empty());
}

// -- failed connects --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(connect_to_a_missing_path_gives_connect_error_then_close_once) {
  auto c = client(dir / "missing.sock", log);
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_REQUIRE(loop.wait_no_handles());
  auto v = log.snapshot();
  BOOST_TEST(std::count(v.begin(), v.end(), code(ENOENT)) == 1);
  BOOST_TEST(count_prefix(v, "connect_error:") == 1u);
  BOOST_TEST(std::count(v.begin(), v.end(), "close") == 1);
  BOOST_TEST(std::count(v.begin(), v.end(), "connect") == 0);
  BOOST_TEST(first_prefix(v, "connect_error:") < first_prefix(v, "close"));
  BOOST_TEST(c->closed());
}

BOOST_AUTO_TEST_CASE(connect_to_a_stale_socket_file_is_refused_then_closes_once) {
  auto path = dir / "stale.sock";
  raw_unix_socket(unix_path(path), SOCK_STREAM).close();
  auto c = client(path, log);
  BOOST_REQUIRE(log.wait_count("close"));
  auto v = log.snapshot();
  BOOST_TEST(std::count(v.begin(), v.end(), code(ECONNREFUSED)) == 1);
  BOOST_TEST(std::count(v.begin(), v.end(), "close") == 1);
  BOOST_TEST(first_prefix(v, "connect_error:") < first_prefix(v, "close"));
}

BOOST_AUTO_TEST_CASE(connect_to_a_regular_file_is_refused_and_the_file_stays) {
  auto path = dir / "plain.txt";
  write_text(path, "data");
  auto c = client(path, log);
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(log.count(code(ECONNREFUSED)) == 1u);
  BOOST_TEST(read_text(path) == "data");
}

// A full backlog fails a non-blocking Unix connect at once with EAGAIN.
// The socket then polls writable with no pending error: waiting on it
// would report a connection that does not exist.
BOOST_AUTO_TEST_CASE(connects_to_a_listener_with_a_full_backlog_each_end_and_none_hangs) {
  auto path = dir / "full.sock";
  raw_unix_socket never_accepts(unix_path(path), SOCK_STREAM, 1);
  constexpr std::size_t n = 6;
  std::vector<std::unique_ptr<event_log>> logs;
  std::vector<std::shared_ptr<unix_recorder>> clients;
  for (std::size_t i = 0; i < n; ++i) {
    logs.push_back(std::make_unique<event_log>());
    clients.push_back(client(path, *logs.back()));
  }
  std::size_t connected = 0, refused = 0;
  for (auto& l : logs) {
    BOOST_REQUIRE(l->wait([](const auto& v) {
      return count_prefix(v, "connect") > 0; // "connect" or "connect_error:..."
    }));
    if (l->count("connect") == 1) {
      ++connected;
      continue;
    }
    ++refused;
    BOOST_REQUIRE(l->wait_count("close"));
    auto v = l->snapshot();
    BOOST_TEST(std::count(v.begin(), v.end(), code(EAGAIN)) == 1);
    auto what = v[static_cast<std::size_t>(first_prefix(v, "connect_error:"))];
    BOOST_TEST(what.find("backlog") != std::string::npos, what);
    BOOST_TEST(first_prefix(v, "connect_error:") < first_prefix(v, "close"));
  }
  BOOST_TEST(connected >= 1u); // the backlog took some
  BOOST_TEST(refused >= 1u);   // and refused the rest
  for (auto& c : clients)
    c->close();
  for (auto& l : logs)
    BOOST_TEST(l->wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  for (auto& l : logs)
    BOOST_TEST(l->count("close") == 1u);
}

// -- server registry, data and closing ------------------------------------------------

BOOST_AUTO_TEST_CASE(server_lists_its_unix_connections_with_their_addresses) {
  auto path = dir / "registry.sock";
  auto srv = make_server([this] { return std::make_shared<recorder>(server_log, eng); });
  srv->listen(path);
  auto a = client(path, log);
  auto b = client(path, log);
  BOOST_REQUIRE(server_log.wait_count("connect", 2));
  auto channels = srv->channels();
  BOOST_TEST(channels.size() == 2u);
  for (auto& ch : channels) {
    BOOST_TEST(ch->local_address() == path);
    BOOST_TEST(ch->remote_address() == "");
    BOOST_TEST(std::static_pointer_cast<unix_connection>(ch)->server() == srv);
  }
  BOOST_REQUIRE(log.wait_count("connect", 2));
  a->close();
  b->close();
  BOOST_REQUIRE(server_log.wait_count("close", 2));
  BOOST_TEST(srv->channels().empty());
  srv->close();
}

BOOST_AUTO_TEST_CASE(write_file_over_a_unix_stream_arrives_intact) {
  std::string content(300 * 1024, '\0');
  for (std::size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  auto file = dir / "payload.bin";
  write_text(file, content);
  auto srv = make_server([this, file] {
    auto r = std::make_shared<recorder>(server_log, eng);
    r->connect_hook = [file](auto& self) {
      self.write("head:");
      self.write_file(file);
      self.end();
    };
    return r;
  });
  srv->listen(dir / "file.sock");
  auto c = client(dir / "file.sock", log);
  BOOST_REQUIRE(log.wait_count("close"));
  auto got = all_reads(log.snapshot());
  BOOST_TEST(got.size() == content.size() + 5);
  BOOST_TEST((got == "head:" + content));
  srv->close();
}

BOOST_AUTO_TEST_CASE(end_flushes_and_the_server_side_reads_everything_then_closes) {
  auto srv = make_server([this] { return std::make_shared<recorder>(server_log, eng); });
  srv->listen(dir / "end.sock");
  auto c = make_client(log);
  c->connect_hook = [](auto& self) {
    self.write("last words");
    self.end();
  };
  c->connect(dir / "end.sock");
  BOOST_REQUIRE(server_log.wait_count("close"));
  BOOST_REQUIRE(log.wait_count("close"));
  auto v = server_log.snapshot();
  BOOST_TEST(all_reads(v) == "last words");
  BOOST_TEST(first_prefix(v, "read:") < first_prefix(v, "close"));
  BOOST_TEST(server_log.count("read_error") == 0u);
  srv->close();
}

BOOST_AUTO_TEST_CASE(server_side_close_reaches_the_client_as_on_close_once) {
  auto srv = make_server([this] {
    auto r = std::make_shared<recorder>(server_log, eng);
    r->connect_hook = [](auto& self) { self.close(); };
    return r;
  });
  srv->listen(dir / "bye.sock");
  auto c = client(dir / "bye.sock", log);
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  BOOST_REQUIRE(loop.wait_no_handles());
  auto v = log.snapshot();
  BOOST_TEST(std::count(v.begin(), v.end(), "close") == 1);
  BOOST_TEST(log.count("read_error") == 0u);
}

BOOST_AUTO_TEST_CASE(shutdown_write_flushes_then_reads_the_echo_until_the_server_closes) {
  auto srv = echo_server(dir / "half.sock");
  auto c = make_client(log);
  c->connect_hook = [](auto& self) {
    self.write("hello ");
    self.write("world");
    self.shutdown_write();
    BOOST_CHECK_THROW(self.write("late"), state_error);
  };
  c->connect(dir / "half.sock");
  BOOST_REQUIRE(log.wait_count("close"));
  auto v = log.snapshot();
  BOOST_TEST(all_reads(v) == "hello world");
  BOOST_TEST(log.count("read_error") == 0u);
  BOOST_TEST(log.count("write_error") == 0u);
  srv->close();
}

BOOST_AUTO_TEST_SUITE_END()
