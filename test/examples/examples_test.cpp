// The examples, run as real child processes: each server is started on a
// free loopback port, the test waits for its `listening` line, talks to it
// over real sockets, then stops it with a signal and expects exit status 0.

#include "support/child_process.hpp"
#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"
#include "support/tls_files.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE examples
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <netinet/in.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pants::test;

namespace {

// Writing to a child's stdin after it exited must fail with EPIPE, not
// kill the test.
struct ignore_sigpipe {
  ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};

std::string example(const std::string& name) {
  return std::string(PANTS_EXAMPLES_DIR) + "/" + name;
}

/// A port nothing listens on right now: bound to port 0, then released
/// (`type`: SOCK_STREAM for TCP, SOCK_DGRAM for UDP).
std::uint16_t free_port(int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(sa.sin_port);
}

bool has_line_with(const std::string& text, const std::string& word) {
  auto end = text.find('\n');
  return end != std::string::npos && text.substr(0, end).find(word) != std::string::npos;
}

/// An example server listening on `port`.
struct running_server {
  std::unique_ptr<child> proc;
  std::uint16_t port = 0;
};

/// Starts the server example `name` on a free port (followed by `extra`
/// arguments) and waits (bounded) for its `listening` line. Another process
/// may take the port between our probe and the example's bind: the example
/// then exits, and we retry.
running_server start_server(const std::string& name, const std::vector<std::string>& extra = {},
                            int type = SOCK_STREAM) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = free_port(type);
    std::vector<std::string> args{example(name), std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    auto proc = std::make_unique<child>(args, false, false);
    if (proc->read_until([](const std::string& s) { return s.find('\n') != std::string::npos; })) {
      BOOST_TEST_REQUIRE(has_line_with(proc->out(), "listening"), proc->out());
      BOOST_TEST(has_line_with(proc->out(), std::to_string(port)), proc->out());
      return {std::move(proc), port};
    }
    BOOST_TEST_MESSAGE(name << " did not start on port " << port << ": "
                            << describe(proc->wait_exit(std::chrono::seconds(1))));
  }
  throw std::runtime_error(name + " never printed its listening line");
}

/// Sends `line` and waits until its own copy comes back: from then on the
/// server has registered this client in its room.
void join(blocking_client& c, const std::string& line) {
  c.send(line);
  BOOST_TEST_REQUIRE(c.recv_exactly(line.size()) == line);
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);

// -- echo_server --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(echo_server_sends_every_byte_back_and_exits_zero_on_sigterm) {
  auto srv = start_server("echo_server");
  blocking_client c(srv.port);
  c.send("hello, pants\n");
  BOOST_TEST(c.recv_exactly(13) == "hello, pants\n");
  std::string blob;
  for (std::size_t i = 0; i < 256 * 1024; ++i)
    blob += static_cast<char>(i * 7 % 256);
  auto sent = std::async(std::launch::async, [&] { c.send(blob); });
  BOOST_TEST((c.recv_exactly(blob.size()) == blob));
  sent.get();
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_server_answers_a_half_closed_client_then_closes) {
  auto srv = start_server("echo_server"); // `printf hello | nc` in C++
  blocking_client c(srv.port);
  c.send("hello");
  c.shutdown_write();
  BOOST_TEST(c.recv_exactly(5) == "hello");
  BOOST_TEST(c.peer_closed());
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_server_exits_zero_on_sigint_with_a_client_connected) {
  auto srv = start_server("echo_server");
  blocking_client c(srv.port);
  c.send("x");
  BOOST_TEST(c.recv_exactly(1) == "x");
  BOOST_TEST(describe(srv.proc->stop(SIGINT)) == "exit 0");
  BOOST_TEST(c.peer_closed());
}

BOOST_AUTO_TEST_CASE(echo_server_on_port_0_serves_on_the_free_port_it_prints) {
  child proc({example("echo_server"), "0"}, false, false); // what CI's `./quickstart echo 0` runs
  BOOST_TEST_REQUIRE(proc.read_until([](const std::string& s) { return has_line_with(s, "port"); }),
                     proc.out());
  auto digits = proc.out().substr(proc.out().rfind(' ') + 1);
  auto port = static_cast<std::uint16_t>(std::stoul(digits));
  BOOST_TEST_REQUIRE(port != 0u);
  blocking_client c(port);
  c.send("any port\n");
  BOOST_TEST(c.recv_exactly(9) == "any port\n");
  BOOST_TEST(describe(proc.stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_server_rejects_a_bad_port_with_its_usage_and_exit_2) {
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"abc"}, {"4000x"}, {"-1"}, {"65536"}, {""}, {"4000", "extra"}}) {
    bad.insert(bad.begin(), example("echo_server"));
    child proc(bad, false, true);
    BOOST_TEST(describe(proc.wait_exit()) == "exit 2", bad[1]);
    BOOST_TEST(proc.err().find("usage:") != std::string::npos, bad[1]);
    BOOST_TEST(proc.read_to_eof());
    BOOST_TEST(proc.out().empty(), bad[1] << " printed " << proc.out());
  }
}

// -- udp_echo -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(udp_echo_sends_every_datagram_back_to_its_sender_and_exits_zero) {
  auto srv = start_server("udp_echo", {}, SOCK_DGRAM);
  datagram_peer peer(pants::endpoint::numeric("127.0.0.1", 0));
  auto to = pants::endpoint::numeric("127.0.0.1", srv.port);
  for (std::string data : {std::string("hello, udp"), std::string(), std::string(60000, 'u')}) {
    BOOST_TEST_REQUIRE(peer.send_to(data, to));
    auto back = peer.receive();
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((back->first == data));
  }
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

// -- echo_to_all ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(echo_to_all_sends_each_line_to_every_client_including_the_sender) {
  auto srv = start_server("echo_to_all");
  blocking_client a(srv.port);
  join(a, "a joined\n");
  blocking_client b(srv.port); // connects after a's line went out
  join(b, "b joined\n");
  BOOST_TEST(a.recv_exactly(9) == "b joined\n"); // a was in the room already
  a.send("from a\n");                            // both lines in flight at once
  b.send("from b\n");
  for (auto* c : {&a, &b}) {
    auto got = c->recv_exactly(14);
    BOOST_TEST((got == "from a\nfrom b\n" || got == "from b\nfrom a\n"), got);
  }
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_to_all_holds_a_partial_line_until_its_newline_arrives) {
  auto srv = start_server("echo_to_all");
  blocking_client a(srv.port);
  join(a, "a\n");
  blocking_client b(srv.port);
  join(b, "b\n");
  BOOST_TEST(a.recv_exactly(2) == "b\n");
  a.send("par");    // no '\n' yet: nobody may see it
  b.send("ping\n"); // most likely read after "par"
  BOOST_TEST(a.recv_exactly(5) == "ping\n");
  BOOST_TEST(b.recv_exactly(5) == "ping\n");
  a.send("tial\n");
  // Had "par" been passed on early, it would sit before "ping" or "partial".
  BOOST_TEST(a.recv_exactly(8) == "partial\n");
  BOOST_TEST(b.recv_exactly(8) == "partial\n");
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_to_all_keeps_broadcasting_while_other_clients_reset) {
  auto srv = start_server("echo_to_all");
  blocking_client a(srv.port);
  join(a, "a\n");
  std::vector<std::unique_ptr<blocking_client>> others;
  for (int i = 0; i < 20; ++i) {
    others.push_back(std::make_unique<blocking_client>(srv.port));
    join(*others.back(), "o" + std::to_string(i + 10) + "\n");
    BOOST_TEST_REQUIRE(a.recv_exactly(4) == "o" + std::to_string(i + 10) + "\n");
  }
  // The others vanish while a's lines are being broadcast to them: writes
  // to channels closing under the broadcast must not cost a any line.
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    auto line = "line " + std::to_string(i + 100) + "\n";
    expected += line;
    a.send(line);
    if (i % 10 == 0)
      others[static_cast<std::size_t>(i / 10)]->reset();
  }
  BOOST_TEST(a.recv_exactly(expected.size()) == expected);
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(echo_to_all_says_goodbye_to_every_client_on_sigterm_then_exits_zero) {
  auto srv = start_server("echo_to_all");
  blocking_client a(srv.port);
  join(a, "a\n");
  blocking_client b(srv.port);
  join(b, "b\n");
  BOOST_TEST(a.recv_exactly(2) == "b\n");
  BOOST_REQUIRE(srv.proc->signal(SIGTERM));
  // The hook's goodbye, then each connection ends (the server closes it):
  // the process exits once both have closed, long before its 5 s grace.
  for (auto* c : {&a, &b})
    BOOST_TEST(c->recv_all() == "* the room is closing\n");
  BOOST_TEST(describe(srv.proc->wait_exit()) == "exit 0");
}

// -- line_client ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(line_client_prints_what_echo_server_returns_and_exits_zero_at_stdin_eof) {
  auto srv = start_server("echo_server");
  child client({example("line_client"), "127.0.0.1", std::to_string(srv.port)}, true, false);
  client.write_stdin("one\ntwo\n");
  client.close_stdin();
  BOOST_TEST(client.read_to_eof());
  BOOST_TEST(client.out() == "one\ntwo\n");
  BOOST_TEST(describe(client.wait_exit()) == "exit 0");
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(line_client_exits_when_the_server_goes_away_with_stdin_still_open) {
  auto srv = start_server("echo_server");
  child client({example("line_client"), "127.0.0.1", std::to_string(srv.port)}, true, false);
  client.write_stdin("ping\n");
  BOOST_TEST_REQUIRE(client.read_until([](const std::string& s) { return s == "ping\n"; }));
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(client.read_to_eof());
  BOOST_TEST(describe(client.wait_exit()) == "exit 0");
}

BOOST_AUTO_TEST_CASE(line_client_reports_a_refused_connection_and_exits_nonzero) {
  auto port = free_port(); // nothing listens there
  child client({example("line_client"), "127.0.0.1", std::to_string(port)}, true, true);
  BOOST_TEST(client.read_to_eof());
  BOOST_TEST(client.out() == "");
  BOOST_TEST(client.err().find("cannot connect") != std::string::npos);
  BOOST_TEST(describe(client.wait_exit()) == "exit 1");
}

// -- idle_timeout -------------------------------------------------------------------

namespace {

/// The lines of `text` (without their '\n'); an unterminated tail is left out.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out.push_back(text.substr(from, nl - from));
    from = nl + 1;
  }
  return out;
}

/// Milliseconds since `start`.
long long ms_since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count();
}

} // namespace

BOOST_AUTO_TEST_CASE(idle_timeout_closes_a_quiet_client_after_the_limit_with_a_notice) {
  auto srv = start_server("idle_timeout", {"0.3"});
  auto start = clock_type::now();
  blocking_client c(srv.port);
  BOOST_TEST(c.recv_all() == "idle timeout\n"); // the notice, then the close
  BOOST_TEST(ms_since(start) >= 300);           // never before the limit
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(idle_timeout_keeps_a_client_that_talks_within_the_limit) {
  auto srv = start_server("idle_timeout", {"0.5"});
  blocking_client talker(srv.port);
  talker.send("hi\n");
  BOOST_REQUIRE(talker.recv_exactly(3) == "hi\n");
  blocking_client quiet(srv.port); // younger than the talker: closed first if all goes well
  // The talker keeps talking (a line every 20 ms) until the quiet client
  // hears from the server; the quiet one's timeout is the clock.
  int lines = 0;
  auto deadline = clock_type::now() + patience;
  while (!wait_ready(quiet.fd(), POLLIN, clock_type::now() + std::chrono::milliseconds(20)) &&
         clock_type::now() < deadline) {
    talker.send("ping\n");
    BOOST_REQUIRE(talker.recv_exactly(5) == "ping\n");
    ++lines;
  }
  BOOST_TEST(quiet.recv_all() == "idle timeout\n");
  BOOST_TEST(lines > 0);
  talker.send("still here\n"); // open for longer than the limit, and not closed
  BOOST_TEST(talker.recv_exactly(11) == "still here\n");
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(talker.recv_all() == ""); // no idle notice, just the shutdown
}

// -- timers -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(timers_runs_every_kind_and_never_the_cancelled_defer) {
  child proc({example("timers")}, false, false);
  BOOST_REQUIRE(proc.read_to_eof());
  BOOST_TEST(describe(proc.wait_exit()) == "exit 0");
  const auto& out = proc.out();
  auto has = [&](const std::string& what) { return out.find(what) != std::string::npos; };
  BOOST_TEST(has("callback: runs once"), out);
  BOOST_TEST(has("callback: cancelled the 200 ms defer"), out);
  for (auto run : {"loop: run 1", "loop: run 2", "loop: run 3"})
    BOOST_TEST(has(run), out);
  BOOST_TEST(!has("loop: run 4"), out); // it cancelled itself from inside
  BOOST_TEST(!has("you never see this"), out);
  // Ticks numbered 1..n, each at or after n * 100 ms, none after the cancel,
  // which reports the same n.
  int ticks = 0, reported = -1;
  for (const auto& line : lines_of(out)) {
    long long ms = -1;
    int n = 0;
    if (std::sscanf(line.c_str(), "%lld ms cycle: tick %d", &ms, &n) == 2) {
      BOOST_TEST(reported == -1, "a tick after the cancel: " << line);
      BOOST_TEST(n == ticks + 1, line);
      BOOST_TEST(ms >= 100LL * n, line);
      ticks = n;
    } else if (std::sscanf(line.c_str(), "%lld ms defer: cancelled the cycle after %d", &ms, &n) ==
               2) {
      reported = n;
      BOOST_TEST(ms >= 450, line);
    } else if (line.find("done, stopping") != std::string::npos) {
      BOOST_TEST(std::sscanf(line.c_str(), "%lld", &ms) == 1);
      BOOST_TEST(ms >= 600, line);
    }
  }
  BOOST_TEST(ticks >= 1, out);
  BOOST_TEST(reported == ticks, out);
  BOOST_TEST(has("done, stopping the engine"), out);
}

// -- foreign_loop -------------------------------------------------------------------

namespace {

/// The "status:" lines' frame and cycle tick counts, in order.
std::vector<std::pair<long, long>> statuses(const std::string& out) {
  std::vector<std::pair<long, long>> found;
  for (const auto& line : lines_of(out)) {
    long frame = 0, second = 0, ticks = 0;
    if (std::sscanf(line.c_str(), "status: frame %ld (%ld this second), %ld cycle ticks", &frame,
                    &second, &ticks) == 3)
      found.emplace_back(frame, ticks);
  }
  return found;
}

} // namespace

BOOST_AUTO_TEST_CASE(foreign_loop_echoes_while_its_own_loop_counts_and_exits_zero_on_sigterm) {
  auto srv = start_server("foreign_loop");
  blocking_client c(srv.port);
  c.send("hello\n");
  BOOST_TEST(c.recv_exactly(6) == "hello\n");
  // Two status lines: the outer loop kept counting frames, and the cycle
  // timer kept ticking, with the client connected.
  BOOST_REQUIRE(srv.proc->read_until([](const std::string& s) { return statuses(s).size() >= 2; }));
  auto st = statuses(srv.proc->out());
  BOOST_TEST(st[0].first > 0);
  BOOST_TEST(st[1].first > st[0].first);
  BOOST_TEST(st[1].second > st[0].second);
  BOOST_TEST(srv.proc->out().find("1 client(s)") != std::string::npos, srv.proc->out());
  c.send("still served\n");
  BOOST_TEST(c.recv_exactly(13) == "still served\n");
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(c.peer_closed()); // it closed its connections on the way out
  BOOST_TEST(srv.proc->read_to_eof());
  BOOST_TEST(srv.proc->out().find("stopped after") != std::string::npos, srv.proc->out());
}

BOOST_AUTO_TEST_CASE(foreign_loop_exits_zero_on_sigint) {
  auto srv = start_server("foreign_loop");
  blocking_client c(srv.port);
  c.send("x");
  BOOST_TEST(c.recv_exactly(1) == "x");
  BOOST_TEST(describe(srv.proc->stop(SIGINT)) == "exit 0");
  BOOST_TEST(c.peer_closed());
}

// -- unix_echo ----------------------------------------------------------------------

namespace {

/// A blocking client of a Unix socket path, every call bounded.
class unix_peer {
public:
  explicit unix_peer(const std::string& path)
      : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    auto where = pants::unix_path(path);
    timeval tv{static_cast<time_t>(std::chrono::seconds(patience).count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd_ < 0 || ::connect(fd_, where.data(), where.size()) != 0)
      throw std::runtime_error("cannot connect to " + path);
  }
  ~unix_peer() { ::close(fd_); }
  unix_peer(const unix_peer&) = delete;
  unix_peer& operator=(const unix_peer&) = delete;

  /// Sends `data` and returns as many bytes as came back, up to its size.
  std::string round_trip(const std::string& data) {
    if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))
      return {};
    std::string got(data.size(), '\0');
    auto n = ::recv(fd_, got.data(), got.size(), MSG_WAITALL);
    got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return got;
  }

  bool peer_closed() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

private:
  int fd_;
};

/// unix_echo started on `path`, once it printed its `listening` line.
std::unique_ptr<child> start_unix_echo(const std::string& path) {
  auto proc =
      std::make_unique<child>(std::vector<std::string>{example("unix_echo"), path}, false, false);
  BOOST_TEST_REQUIRE(
      proc->read_until([](const std::string& s) { return s.find('\n') != std::string::npos; }));
  BOOST_TEST_REQUIRE(has_line_with(proc->out(), "listening"), proc->out());
  BOOST_TEST(has_line_with(proc->out(), path), proc->out());
  return proc;
}

} // namespace

BOOST_AUTO_TEST_CASE(unix_echo_echoes_over_its_socket_file_and_removes_it_on_sigterm) {
  temp_dir dir;
  auto path = dir / "echo.sock";
  auto proc = start_unix_echo(path);
  BOOST_TEST(exists(path));
  {
    unix_peer c(path);
    BOOST_TEST(c.round_trip("hello over unix\n") == "hello over unix\n");
  }
  BOOST_TEST(describe(proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(unix_echo_exits_zero_on_sigint_with_a_client_connected_and_removes_its_file) {
  temp_dir dir;
  auto path = dir / "echo.sock";
  auto proc = start_unix_echo(path);
  unix_peer c(path);
  BOOST_TEST(c.round_trip("x") == "x");
  BOOST_TEST(describe(proc->stop(SIGINT)) == "exit 0");
  BOOST_TEST(c.peer_closed());
  BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(unix_echo_refuses_a_path_in_use_and_the_first_one_keeps_serving) {
  temp_dir dir;
  auto path = dir / "echo.sock";
  auto first = start_unix_echo(path);
  child second({example("unix_echo"), path}, false, true);
  BOOST_TEST(second.read_to_eof());
  BOOST_TEST(second.err().find("in use") != std::string::npos);
  BOOST_TEST(describe(second.wait_exit()) == "exit 1");
  unix_peer c(path);
  BOOST_TEST(c.round_trip("first") == "first");
  BOOST_TEST(describe(first->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(unix_echo_replaces_the_stale_socket_file_of_a_killed_instance) {
  temp_dir dir;
  auto path = dir / "echo.sock";
  auto killed = start_unix_echo(path);
  BOOST_TEST(describe(killed->stop(SIGKILL)) == "signal 9");
  BOOST_TEST_REQUIRE(exists(path)); // no chance to clean up: the file is stale
  auto next = start_unix_echo(path);
  unix_peer c(path);
  BOOST_TEST(c.round_trip("next") == "next");
  BOOST_TEST(describe(next->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(!exists(path));
}

// -- tls_echo, tls_client ------------------------------------------------------------
// Certificates made at test time (tls_files.hpp): a CA and a leaf it signed
// for localhost and 127.0.0.1.

BOOST_AUTO_TEST_CASE(tls_client_gets_back_from_tls_echo_what_it_sent_then_both_exit_zero) {
  const auto& f = tls_files::get();
  auto srv = start_server("tls_echo", {f.leaf, f.leaf_key});
  child client({example("tls_client"), "127.0.0.1", std::to_string(srv.port), f.ca}, true, true);
  client.write_stdin("one\ntwo\n");
  client.close_stdin(); // close_notify: the echo server ends the connection after the echo
  BOOST_TEST(client.read_to_eof());
  BOOST_TEST(client.out() == "one\ntwo\n");
  BOOST_TEST(describe(client.wait_exit()) == "exit 0");
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(tls_echo_answers_openssl_s_client) {
  const auto& f = tls_files::get();
  auto srv = start_server("tls_echo", {f.leaf, f.leaf_key});
  child peer({"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(srv.port),
              "-CAfile", f.ca, "-verify_return_error", "-servername", "localhost", "-quiet"},
             true, true);
  peer.write_stdin("ping from s_client\n");
  BOOST_TEST(peer.read_until([](const std::string& out) {
    return out.find("ping from s_client\n") != std::string::npos;
  }));
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(peer.read_to_eof()); // the server went: s_client sees the end
}

BOOST_AUTO_TEST_CASE(tls_client_refuses_a_certificate_that_does_not_verify_and_exits_one) {
  const auto& f = tls_files::get();
  struct bad_server {
    std::string cert, key, host, reason;
  };
  for (const auto& bad : {
           bad_server{f.self_signed, f.self_key, "127.0.0.1", "self-signed certificate"},
           bad_server{f.expired, f.expired_key, "localhost", "certificate has expired"},
       }) {
    auto srv = start_server("tls_echo", {bad.cert, bad.key});
    child client({example("tls_client"), bad.host, std::to_string(srv.port), f.ca}, true, true);
    BOOST_TEST(client.read_to_eof());
    BOOST_TEST(client.out() == "");
    auto err = client.err(); // read once: it reads stderr to its end
    BOOST_TEST(err.find("certificate verify failed: " + bad.reason) != std::string::npos, err);
    BOOST_TEST(describe(client.wait_exit()) == "exit 1");
    BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  }
}

BOOST_AUTO_TEST_CASE(tls_echo_with_a_key_that_does_not_match_says_why_and_exits_two) {
  const auto& f = tls_files::get();
  child proc({example("tls_echo"), "0", f.leaf, f.stray_key}, false, true);
  BOOST_TEST(proc.read_to_eof());
  BOOST_TEST(proc.out() == "");
  auto err = proc.err(); // read once: it reads stderr to its end
  BOOST_TEST(err.find("tls_echo: pants: TLS: ") == 0u, err);
  BOOST_TEST(describe(proc.wait_exit()) == "exit 2");
}

BOOST_AUTO_TEST_CASE(tls_echo_and_tls_client_reject_bad_arguments_with_exit_2) {
  for (auto args : std::vector<std::vector<std::string>>{{"tls_echo"},
                                                         {"tls_echo", "4433", "cert.pem"},
                                                         {"tls_echo", "x", "c", "k"},
                                                         {"tls_echo", "70000", "c", "k"},
                                                         {"tls_client", "127.0.0.1"},
                                                         {"tls_client", "127.0.0.1", "port"}}) {
    args[0] = example(args[0]);
    child proc(args, false, true);
    BOOST_TEST(proc.read_to_eof());
    auto err = proc.err(); // read once: it reads stderr to its end
    BOOST_TEST(err.find("tls_") != std::string::npos, err);
    BOOST_TEST(describe(proc.wait_exit()) == "exit 2", args[0]);
  }
}

// -- asyncore_echo, asynchat_chat, asyncore_http_client ----------------------------

BOOST_AUTO_TEST_CASE(asyncore_echo_serves_many_concurrent_clients_and_exits_zero_on_sigterm) {
  auto srv = start_server("asyncore_echo");
  std::vector<std::unique_ptr<blocking_client>> clients;
  for (int i = 0; i < 50; ++i)
    clients.push_back(std::make_unique<blocking_client>(srv.port)); // all connected at once
  for (std::size_t i = 0; i < clients.size(); ++i)
    clients[i]->send("client " + std::to_string(i) + "\n");
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto line = "client " + std::to_string(i) + "\n";
    BOOST_TEST(clients[i]->recv_exactly(line.size()) == line);
  }
  std::string blob;
  for (std::size_t i = 0; i < 256 * 1024; ++i)
    blob += static_cast<char>(i * 7 % 256);
  auto sent = std::async(std::launch::async, [&] { clients[0]->send(blob); });
  BOOST_TEST((clients[0]->recv_exactly(blob.size()) == blob));
  sent.get();
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
  BOOST_TEST(clients[1]->peer_closed());
}

BOOST_AUTO_TEST_CASE(asynchat_chat_sends_every_line_to_every_client_including_the_sender) {
  auto srv = start_server("asynchat_chat");
  constexpr int n = 12;
  std::vector<std::unique_ptr<blocking_client>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<blocking_client>(srv.port));
    join(*clients.back(), "join " + std::to_string(i) + "\n"); // now in the room
    for (int earlier = 0; earlier < i; ++earlier) {
      auto line = "join " + std::to_string(i) + "\n";
      BOOST_TEST(clients[static_cast<std::size_t>(earlier)]->recv_exactly(line.size()) == line);
    }
  }
  // Every client sends three lines at once, the first in two pieces.
  for (int i = 0; i < n; ++i) {
    auto& c = *clients[static_cast<std::size_t>(i)];
    c.send("from " + std::to_string(i));
    c.send(" a\nfrom " + std::to_string(i) + " b\n\nfrom " + std::to_string(i) + " c\n");
  }
  std::multiset<std::string> expected;
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i)
    for (std::string tail : {" a\n", " b\n", " c\n"}) {
      auto line = "from " + std::to_string(i) + tail;
      expected.insert(line);
      bytes += line.size();
    }
  for (int i = 0; i < n; ++i) // the empty lines
    expected.insert("\n");
  bytes += n;
  for (auto& c : clients) {
    auto got = c->recv_exactly(bytes);
    std::multiset<std::string> lines;
    for (std::size_t at = 0, nl; (nl = got.find('\n', at)) != std::string::npos; at = nl + 1)
      lines.insert(got.substr(at, nl + 1 - at));
    BOOST_TEST((lines == expected), got);
  }
  BOOST_TEST(describe(srv.proc->stop(SIGTERM)) == "exit 0");
}

BOOST_AUTO_TEST_CASE(asyncore_http_client_fetches_a_page_from_a_local_http_server) {
  // A one-request HTTP server on a loopback port, in this process.
  int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto at = pants::endpoint::numeric("127.0.0.1", 0);
  BOOST_TEST_REQUIRE(::bind(lst, at.data(), at.size()) == 0);
  BOOST_TEST_REQUIRE(::listen(lst, 1) == 0);
  auto port = pants::endpoint::local_of(lst).port();
  const std::string body = "<html>hello from the test's server</html>\n";
  auto served = std::async(std::launch::async, [&] {
    int fd = ::accept4(lst, nullptr, nullptr, SOCK_CLOEXEC);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string request;
    char buf[1024];
    ssize_t n;
    while (request.find("\r\n\r\n") == std::string::npos &&
           (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
      request.append(buf, static_cast<std::size_t>(n));
    std::string reply = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(fd);
    return request;
  });
  child proc({example("asyncore_http_client"), "127.0.0.1", std::to_string(port), "/index.html"},
             false, true);
  BOOST_TEST(proc.read_to_eof());
  BOOST_TEST(describe(proc.wait_exit()) == "exit 0");
  BOOST_TEST_REQUIRE((served.wait_for(patience) == std::future_status::ready));
  auto request = served.get();
  BOOST_TEST(request.rfind("GET /index.html HTTP/1.0\r\n", 0) == 0u, request);
  BOOST_TEST(proc.out().rfind("HTTP/1.0 200 OK\r\n", 0) == 0u, proc.out());
  BOOST_TEST(proc.out().find(body) != std::string::npos, proc.out());
  ::close(lst);
}

BOOST_AUTO_TEST_CASE(asyncore_http_client_reports_a_refused_connect_and_exits_one) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); // bound, not listening
  auto at = pants::endpoint::numeric("127.0.0.1", 0);
  BOOST_TEST_REQUIRE(::bind(fd, at.data(), at.size()) == 0);
  auto port = pants::endpoint::local_of(fd).port();
  child proc({example("asyncore_http_client"), "127.0.0.1", std::to_string(port), "/"}, false,
             true);
  BOOST_TEST(proc.read_to_eof());
  BOOST_TEST(describe(proc.wait_exit()) == "exit 1");
  auto err = proc.err();
  BOOST_TEST(err.find("Connection refused") != std::string::npos, err);
  BOOST_TEST(proc.out().empty());
  child usage({example("asyncore_http_client"), "127.0.0.1"}, false, true);
  BOOST_TEST(describe(usage.wait_exit()) == "exit 2");
  ::close(fd);
}
