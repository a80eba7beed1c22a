// The data path of stream channels over real loopback sockets: framing with
// every read_delimiter, large writes, write_file, end/close, half-close,
// overflow, write and read flow control, SIGPIPE and EMFILE.

#include "actors/stream.hpp"

#include "actors/stream_server.hpp"
#include "channels/errors.hpp"
#include "channels/stream_socket.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE stream_data
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;
constexpr auto npos = std::string::npos;
using clock_type = std::chrono::steady_clock;

// -- a byte pattern that does not repeat, so loss, duplication or reordering
// of any block shows as a mismatch at a known offset ----------------------

char pattern_at(std::size_t i) {
  auto x = static_cast<std::uint32_t>(i / 4) * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  return static_cast<char>(static_cast<unsigned char>((x >> ((i % 4) * 8)) & 0xffu));
}

std::string pattern(std::size_t offset, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    out[i] = pattern_at(offset + i);
  return out;
}

/// Index of the first byte of `data` that differs from the pattern starting
/// at `offset`, or npos.
std::size_t mismatch(std::string_view data, std::size_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] != pattern_at(offset + i))
      return i;
  return npos;
}

// -- the channel under test -------------------------------------------------

/// A connection that logs its callbacks into its own event_log and runs
/// optional hooks (set before the channel starts, by the server's factory).
/// Without a read hook, each frame is logged as "read:<frame>".
class probe : public connection {
public:
  explicit probe(engine& eng) : connection(eng) {}

  event_log events;
  std::function<void(probe&)> connect_hook;
  std::function<void(probe&, std::string_view)> read_hook;
  std::function<void(probe&)> write_hook;
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
    if (close_on_overflow)
      connection::on_overflow_error(e);
  }
  void on_read_error(const net_error&) override { events.add("read_error"); }
  void on_write_error(const net_error&) override { events.add("write_error"); }
  void on_close() override { events.add("close"); }
  void on_error(const std::exception& e) override { events.add(std::string("error:") + e.what()); }
};

void echo(probe& p) {
  p.read_hook = [](probe& self, std::string_view data) { self.write(data); };
}

// -- peers --------------------------------------------------------------------

/// How a blocking read to the end of a stream ended.
enum class ending { eof, reset, timeout };

struct drained {
  std::string bytes;
  ending how = ending::timeout;
};

/// Reads from a blocking_client until EOF, a reset or its receive timeout.
drained drain(blocking_client& c) {
  drained out;
  char buf[65536];
  for (;;) {
    auto got = ::recv(c.fd(), buf, sizeof buf, 0);
    if (got > 0) {
      out.bytes.append(buf, static_cast<std::size_t>(got));
      continue;
    }
    out.how = got == 0 ? ending::eof : errno == ECONNRESET ? ending::reset : ending::timeout;
    return out;
  }
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// A loopback TCP socket made before it connects (so its descriptor exists
/// before a test lowers RLIMIT_NOFILE), non-blocking once connected, with
/// optionally small fixed kernel buffers.
class raw_client {
public:
  explicit raw_client(int buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error("socket failed");
    if (buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    }
  }
  ~raw_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Connects to 127.0.0.1:`port` (blocking), then turns non-blocking.
  void connect(std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      throw std::runtime_error("connect failed");
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    no_delay(fd_);
  }

  /// Sends what the kernel takes now: 0 when it would block.
  std::size_t send_some(std::string_view data) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0)
      return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return 0;
    throw std::runtime_error("send failed");
  }

  /// Reads what is there now into `buf`: bytes read, 0 when nothing is
  /// ready. Throws at EOF or on an error.
  std::size_t recv_some(char* buf, std::size_t n) {
    auto got = ::recv(fd_, buf, n, 0);
    if (got > 0)
      return static_cast<std::size_t>(got);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return 0;
    throw std::runtime_error("the echo stream ended early");
  }

  /// Waits up to `limit` for `events`; returns the events that are ready.
  short wait(short events, std::chrono::milliseconds limit) {
    pollfd p{fd_, events, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0)
      return 0;
    return p.revents;
  }

  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

/// Sends `data` (the pattern from `base`) from `sent` on and reads the echo
/// until all of `data` came back or `deadline` passes; returns how many
/// echoed bytes arrived and sets `bad` to the offset of the first wrong one
/// (npos: none).
std::size_t pump_echo(raw_client& c, const std::string& data, std::size_t base, std::size_t sent,
                      std::size_t& bad, clock_type::time_point deadline) {
  std::vector<char> buf(256 * KiB);
  std::size_t received = 0;
  bad = npos;
  while (received < data.size() && clock_type::now() < deadline) {
    if (sent < data.size())
      sent += c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    auto n = c.recv_some(buf.data(), buf.size());
    if (n > 0) {
      auto at = mismatch(std::string_view(buf.data(), n), base + received);
      if (at != npos && bad == npos)
        bad = received + at;
      received += n;
      continue;
    }
    auto want = static_cast<short>(sent < data.size() ? POLLIN | POLLOUT : POLLIN);
    c.wait(want, std::chrono::milliseconds(100));
  }
  return received;
}

/// A temporary file in /tmp holding `content`, removed on destruction.
class temp_file {
public:
  explicit temp_file(const std::string& content) {
    char name[] = "/tmp/pants-stream-data-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0)
      throw std::runtime_error("mkstemp failed");
    path_ = name;
    std::size_t done = 0;
    while (done < content.size()) {
      auto n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0)
        break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != content.size())
      throw std::runtime_error("cannot write the temporary file");
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// A door a handler waits at (bounded) until the test opens it.
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> guard(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait_for(lock, patience, [this] { return open_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// -- the fixture ----------------------------------------------------------------

/// The channels a server's factory made, shared with the factory so a late
/// accept never touches a finished test.
struct made_channels {
  std::mutex mtx;
  std::vector<std::shared_ptr<probe>> all;
  event_log accepts;
};

struct fixture {
  engine eng;
  engine_thread loop{eng};
  std::shared_ptr<made_channels> made = std::make_shared<made_channels>();
  std::vector<std::shared_ptr<server>> servers;
  std::size_t taken = 0;

  /// A server on 127.0.0.1, port 0, making probes prepared by `setup`.
  std::shared_ptr<server> serve(std::function<void(probe&)> setup) {
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
    srv->listen("127.0.0.1", 0);
    servers.push_back(srv);
    return srv;
  }

  /// Waits (bounded) until `pred()` holds, checking once per engine turn.
  template <class Pred> bool eventually(Pred pred) {
    auto deadline = clock_type::now() + patience;
    while (!pred()) {
      if (clock_type::now() >= deadline)
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

  ~fixture() {
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

/// One client per way of cutting `input` (whole, at every offset, one byte
/// per send); returns each connection's log, from "connect" to "close".
std::vector<std::vector<std::string>> logs_for_every_split(fixture& f, std::uint16_t port,
                                                           const std::string& input) {
  std::vector<std::vector<std::string>> cuts{{input}};
  for (std::size_t at = 1; at < input.size(); ++at)
    cuts.push_back({input.substr(0, at), input.substr(at)});
  std::vector<std::string> bytes;
  for (char ch : input)
    bytes.emplace_back(1, ch);
  cuts.push_back(bytes);

  std::vector<std::vector<std::string>> logs;
  for (auto& pieces : cuts) {
    {
      blocking_client c(port);
      no_delay(c.fd());
      for (auto& piece : pieces)
        c.send(piece);
    } // EOF: the channel delivers its frames, then closes
    auto p = f.next_channel();
    BOOST_REQUIRE(p->events.wait_count("close"));
    logs.push_back(p->events.snapshot());
  }
  return logs;
}

std::function<void(probe&)> framed_by(pants::read_delimiter d) {
  return [d](probe& p) { p.connect_hook = [d](probe& self) { self.read_delimiter(d); }; };
}

std::vector<std::string> expected_log(std::vector<std::string> frames) {
  std::vector<std::string> out{"connect"};
  for (auto& frame : frames)
    out.push_back("read:" + frame);
  out.push_back("close");
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_data_suite, fixture)

// -- read_delimiter -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(no_delimiter_passes_every_byte_on_in_order_however_it_is_sent) {
  auto srv = serve(nullptr);
  const std::string input = "ab\r\ncd\r\nef\r\n";
  for (auto& log : logs_for_every_split(*this, srv->port(), input)) {
    BOOST_REQUIRE(log.size() >= 3u);
    BOOST_TEST(log.front() == "connect");
    BOOST_TEST(log.back() == "close");
    std::string joined;
    for (std::size_t i = 1; i + 1 < log.size(); ++i) {
      BOOST_TEST(log[i].size() > 5u); // never an empty chunk
      joined += log[i].substr(5);
    }
    BOOST_TEST(joined == input);
  }
}

BOOST_AUTO_TEST_CASE(newline_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto srv = serve(framed_by("\n"));
  auto want = expected_log({"ab", "cd", "", "ef"});
  for (auto& log : logs_for_every_split(*this, srv->port(), "ab\ncd\n\nef\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(crlf_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto srv = serve(framed_by("\r\n"));
  auto want = expected_log({"ab", "c\rd\n", "ef"});
  for (auto& log : logs_for_every_split(*this, srv->port(), "ab\r\nc\rd\n\r\nef\r\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(multi_byte_delimiter_is_found_across_any_split_even_overlapping_itself) {
  auto srv = serve(framed_by("aab"));
  // "xaaab": the delimiter starts one byte after a false start.
  auto want = expected_log({"xa", "", "ab"});
  for (auto& log : logs_for_every_split(*this, srv->port(), "xaaabaababaab"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(byte_count_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto srv = serve(framed_by(3));
  auto want = expected_log({"ab\n", "cd\n", "efg"});
  for (auto& log : logs_for_every_split(*this, srv->port(), "ab\ncd\nefg"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(delimiter_changed_inside_on_read_applies_at_once_to_buffered_data) {
  // A length line, then that many raw bytes (newlines included), twice.
  auto srv = serve([](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
    p.read_hook = [](probe& self, std::string_view frame) {
      self.events.add("read:" + std::string(frame));
      if (self.read_delimiter().type() == pants::read_delimiter::kind::count)
        self.read_delimiter("\n");
      else if (frame.size() == 1 && frame[0] >= '1' && frame[0] <= '9')
        self.read_delimiter(frame[0] - '0');
    };
  });
  auto want = expected_log({"5", "a\nb\nc", "3", "\n\n\n", "end"});
  for (auto& log : logs_for_every_split(*this, srv->port(), "5\na\nb\nc3\n\n\n\nend\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(delimiter_set_in_on_connect_frames_data_sent_before_it_ran) {
  auto srv = serve(framed_by("\r\n"));
  {
    blocking_client c(srv->port());
    c.send("x\r\ny\r\n"); // at once: the channel may not have connected yet
  }
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"x", "y"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_delimiter_throws_in_on_read_and_the_old_one_stays_in_force) {
  auto srv = serve([](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
    auto tried = std::make_shared<bool>(false);
    p.read_hook = [tried](probe& self, std::string_view frame) {
      self.events.add("read:" + std::string(frame));
      if (*tried)
        return;
      *tried = true;
      try {
        self.read_delimiter(std::string());
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:empty");
      }
      try {
        self.read_delimiter(0);
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:zero");
      }
      try {
        self.read_delimiter(-4);
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:negative");
      }
      if (self.read_delimiter() == pants::read_delimiter("\n"))
        self.events.add("kept");
    };
  });
  {
    blocking_client c(srv->port());
    c.send("one\ntwo\nthree\n");
  }
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  std::vector<std::string> want{"connect",       "read:one",          "rejected:empty",
                                "rejected:zero", "rejected:negative", "kept",
                                "read:two",      "read:three",        "close"};
  BOOST_TEST(p->events.snapshot() == want, boost::test_tools::per_element());
}

// -- end of stream --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(complete_frames_arrive_before_on_close_and_the_unterminated_tail_is_dropped) {
  auto srv = serve(framed_by("\n"));
  blocking_client c(srv->port());
  c.send("a\nb\nc");
  c.shutdown_write();
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
}

BOOST_AUTO_TEST_CASE(whole_byte_count_frames_arrive_before_on_close_and_a_short_tail_is_dropped) {
  auto srv = serve(framed_by(3));
  blocking_client c(srv->port());
  c.send("abcdefg");
  c.shutdown_write();
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"abc", "def"}),
             boost::test_tools::per_element());
}

// -- large writes ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(four_mib_written_in_one_call_arrive_intact_and_in_order) {
  auto data = std::make_shared<const std::string>(pattern(0, 4 * MiB));
  auto srv =
      serve([data](probe& p) { p.connect_hook = [data](probe& self) { self.write(*data); }; });
  std::shared_ptr<probe> p;
  {
    blocking_client c(srv->port());
    p = next_channel();
    auto got = c.recv_exactly(data->size());
    BOOST_TEST(got.size() == data->size());
    BOOST_TEST(mismatch(got, 0) == npos);
    BOOST_REQUIRE(p->events.wait_count("write")); // the queue drained
  }
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("write") == 1u); // once per drain, not once per send
  BOOST_TEST(p->events.count("close") == 1u);
}

BOOST_AUTO_TEST_CASE(four_mib_sent_through_an_echo_server_come_back_intact) {
  auto srv = serve(echo);
  const auto data = pattern(7, 4 * MiB);
  blocking_client c(srv->port());
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    try {
      c.send(data);
      sent = true;
    } catch (const std::exception&) {
    }
  });
  auto got = c.recv_exactly(data.size());
  sender.join();
  BOOST_TEST(sent.load());
  BOOST_TEST(got.size() == data.size());
  BOOST_TEST(mismatch(got, 7) == npos);
}

// -- write_file -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(write_file_regions_arrive_in_order_with_writes) {
  const auto content = pattern(12345, 300 * KiB);
  auto file = std::make_shared<temp_file>(content);
  auto srv = serve([file](probe& p) {
    p.connect_hook = [file](probe& self) {
      self.write("head");
      self.write_file(file->path());
      self.write("middle");
      self.write_file(file->path(), 1000, 5000);
      self.write("tail");
      self.end();
    };
  });
  blocking_client c(srv->port());
  auto got = drain(c);
  auto want = "head" + content + "middle" + content.substr(1000, 5000) + "tail";
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == want.size());
  BOOST_TEST((got.bytes == want));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

BOOST_AUTO_TEST_CASE(write_file_with_a_bad_path_or_region_throws_and_changes_nothing) {
  auto file = std::make_shared<temp_file>("0123456789");
  auto srv = serve([file](probe& p) {
    p.connect_hook = [file](probe& self) {
      self.write("a");
      auto reject = [&self](const char* what, auto&& call) {
        try {
          call();
        } catch (const std::invalid_argument&) {
          self.events.add(std::string("rejected:") + what);
        }
      };
      reject("path", [&] { self.write_file("/nonexistent/pants-no-such-file"); });
      reject("offset", [&] { self.write_file(file->path(), 11); });
      reject("region", [&] { self.write_file(file->path(), 4, 7); });
      reject("descriptor", [&] { self.write_file(-1); });
      self.write_file(file->path(), 8);
      self.write("b");
      self.end();
    };
  });
  blocking_client c(srv->port());
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes == "a89b");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  for (auto what : {"path", "offset", "region", "descriptor"})
    BOOST_TEST(p->events.count(std::string("rejected:") + what) == 1u);
}

// -- end and close ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(end_after_a_large_write_delivers_everything_then_eof) {
  auto data = std::make_shared<const std::string>(pattern(99, 2 * MiB));
  auto srv = serve([data](probe& p) {
    p.connect_hook = [data](probe& self) {
      self.write(*data);
      self.end();
      try {
        self.write("late");
      } catch (const state_error&) {
        self.events.add("refused");
      }
    };
  });
  blocking_client c(srv->port());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("refused")); // the queue is still full: the client waited
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == data->size());
  BOOST_TEST(mismatch(got.bytes, 99) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

BOOST_AUTO_TEST_CASE(close_discards_queued_output_and_the_peer_sees_the_end_early) {
  const std::size_t total = 16 * MiB; // far more than the kernel buffers hold
  auto data = std::make_shared<const std::string>(pattern(5, total));
  auto queued = std::make_shared<std::atomic<std::size_t>>(0);
  auto srv = serve([data, queued](probe& p) {
    p.connect_hook = [data, queued](probe& self) {
      self.write(*data);
      *queued = self.bytes_queued();
      self.close();
      try {
        self.write("late");
      } catch (const state_error&) {
        self.events.add("refused");
      }
    };
  });
  blocking_client c(srv->port());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(queued->load() > 0u); // there was queued output to discard
  BOOST_TEST(p->bytes_queued() == 0u);
  BOOST_TEST(p->events.count("refused") == 1u);
  auto got = drain(c);
  BOOST_TEST((got.how != ending::timeout)); // EOF or reset: the channel is gone
  BOOST_TEST(got.bytes.size() < total);
  BOOST_TEST(mismatch(got.bytes, 5) == npos); // what did arrive is an intact prefix
  BOOST_TEST(p->events.count("write") == 0u);
  BOOST_TEST(p->events.count("close") == 1u);
}

BOOST_AUTO_TEST_CASE(half_closed_peer_gets_its_whole_echo_then_eof) {
  // High marks so the server keeps reading to the EOF with output queued.
  auto srv = serve([](probe& p) {
    echo(p);
    p.connect_hook = [](probe& self) { self.set_write_marks(64 * MiB, 32 * MiB); };
  });
  const auto data = pattern(3, 8 * MiB); // more than the kernel buffers hold
  blocking_client c(srv->port());
  c.send(data);
  c.shutdown_write();
  auto p = next_channel();
  // The EOF ends the channel for writing while its echo is still queued.
  BOOST_REQUIRE(eventually([&] { return !p->connected(); }));
  BOOST_TEST(p->bytes_queued() > 0u);
  BOOST_TEST(p->events.count("close") == 0u);
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == data.size());
  BOOST_TEST(mismatch(got.bytes, 3) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

// -- overflow -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(overflow_reports_on_overflow_error_and_closes_by_default) {
  auto srv = serve([](probe& p) {
    p.buffer_size(16);
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  blocking_client c(srv->port());
  c.send(std::string(100, 'x')); // a line longer than the buffer, no newline yet
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == (std::vector<std::string>{"connect", "overflow", "close"}),
             boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
}

BOOST_AUTO_TEST_CASE(frames_that_fit_arrive_before_the_overflow) {
  auto srv = serve([](probe& p) {
    p.buffer_size(16);
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  blocking_client c(srv->port());
  c.send("ok\n" + std::string(100, 'x'));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() ==
                 (std::vector<std::string>{"connect", "read:ok", "overflow", "close"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(channel_that_handles_overflow_itself_goes_on_reading) {
  auto srv = serve([](probe& p) {
    p.buffer_size(16);
    p.close_on_overflow = false;
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  blocking_client c(srv->port());
  c.send(std::string(100, 'x'));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("overflow"));
  c.send("\nfine\n"); // the overflowing bytes were dropped; this frame is whole
  BOOST_REQUIRE(p->events.wait_count("read:fine"));
  BOOST_TEST(p->events.count("close") == 0u);
  BOOST_TEST(p->frames().back() == "fine");
}

// -- write flow control -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(producer_paced_by_on_write_keeps_its_queue_bounded_and_delivers_everything) {
  const std::size_t total = 16 * MiB, block = 64 * KiB, high = 512 * KiB;
  // Writes blocks while fewer than `high` bytes are queued; on_write resumes.
  struct producer {
    std::size_t sent = 0;
    void more(probe& p, std::size_t total_, std::size_t block_, std::size_t high_) {
      while (sent < total_ && p.bytes_queued() < high_) {
        auto n = std::min(block_, total_ - sent);
        p.write(pattern(sent, n));
        sent += n;
      }
      if (sent < total_) {
        p.events.add("paused");
      } else if (!p.events.count("done")) {
        p.events.add("done");
        p.end();
      }
    }
  };
  auto srv = serve([=](probe& p) {
    auto prod = std::make_shared<producer>();
    p.connect_hook = [=](probe& self) { prod->more(self, total, block, high); };
    p.write_hook = [=](probe& self) { prod->more(self, total, block, high); };
  });
  blocking_client c(srv->port());
  auto p = next_channel();
  // The client reads nothing: the producer must stop with a bounded queue.
  BOOST_REQUIRE(p->events.wait_count("paused"));
  BOOST_TEST(p->events.count("done") == 0u);
  BOOST_TEST(p->bytes_queued() < high + block);
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == total);
  BOOST_TEST(mismatch(got.bytes, 0) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("done") == 1u);
}

BOOST_AUTO_TEST_CASE(echo_server_facing_a_client_that_never_reads_keeps_its_queue_bounded) {
  auto srv = serve(echo);
  const std::size_t total = 32 * MiB;
  const auto data = pattern(11, total);
  // Past the high-water mark the engine stops reading; what it had already
  // handed the actor (at most the in-flight bound plus one read) still gets
  // echoed, plus the write that crossed the mark.
  const auto high = stream_socket::default_high_water;
  const auto bound = high + stream_socket::inflight_limit + 2 * stream_socket::read_chunk;
  raw_client c(64 * static_cast<int>(KiB));
  c.connect(srv->port());
  auto p = next_channel();

  // Phase 1: send, never read, until sends stop making progress.
  std::size_t sent = 0, max_queued = 0;
  int idle = 0;
  auto deadline = clock_type::now() + patience;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    max_queued = std::max(max_queued, p->bytes_queued());
    if (n > 0) {
      sent += n;
      idle = 0;
    } else if (c.wait(POLLOUT, std::chrono::milliseconds(100)) == 0 && ++idle >= 3 &&
               max_queued > high) {
      break; // 300 ms without progress, and the server went past its mark
    }
  }
  BOOST_TEST_MESSAGE("sent before the stall: " << sent << ", max queued: " << max_queued);
  BOOST_TEST(max_queued > high);   // the server did queue past its mark...
  BOOST_TEST(max_queued <= bound); // ...and stopped reading there
  BOOST_TEST(sent < total);        // so the client's sends stopped

  // Phase 2: the client reads; the server resumes and echoes everything.
  std::size_t bad = npos;
  auto received = pump_echo(c, data, 11, sent, bad, clock_type::now() + 3 * patience);
  BOOST_TEST(received == total);
  BOOST_TEST(bad == npos);
  BOOST_TEST(p->events.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(set_write_marks_rejects_bad_marks_and_changes_nothing) {
  auto srv = serve(echo);
  blocking_client c(srv->port());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  BOOST_CHECK_THROW(p->set_write_marks(100, 200), std::invalid_argument);
  BOOST_CHECK_THROW(p->set_write_marks(100, 0), std::invalid_argument);
  BOOST_CHECK_THROW(p->set_write_marks(0, 0), std::invalid_argument);
  c.send("still echoing");
  BOOST_TEST(c.recv_exactly(13) == "still echoing");
  p->set_write_marks(4 * KiB, 4 * KiB); // low == high is allowed
  c.send("and again");
  BOOST_TEST(c.recv_exactly(9) == "and again");
}

// -- read flow control ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(slow_handler_pushes_back_on_the_sender_and_loses_nothing) {
  const std::size_t total = 32 * MiB;
  const auto data = pattern(21, total);
  auto door = std::make_shared<gate>();
  struct checker {
    std::size_t received = 0;
    std::size_t bad = npos;
  };
  auto srv = serve([door, total](probe& p) {
    auto seen = std::make_shared<checker>();
    p.read_hook = [door, seen, total](probe& self, std::string_view data_) {
      if (seen->received == 0) {
        self.events.add("blocked");
        door->wait(); // a slow handler, until the test opens the door
      }
      auto at = mismatch(data_, 21 + seen->received);
      if (at != npos && seen->bad == npos) {
        seen->bad = seen->received + at;
        self.events.add("mismatch");
      }
      seen->received += data_.size();
      if (seen->received == total)
        self.events.add("all");
    };
  });
  struct open_on_exit {
    std::shared_ptr<gate> g;
    ~open_on_exit() { g->open(); }
  } guard{door};

  raw_client c(64 * static_cast<int>(KiB));
  c.connect(srv->port());
  auto p = next_channel();
  std::size_t sent = 0;
  bool stalled = false;
  int idle = 0;
  auto deadline = clock_type::now() + patience / 2;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    if (n > 0) {
      sent += n;
      idle = 0;
    } else if (c.wait(POLLOUT, std::chrono::milliseconds(100)) == 0 && ++idle >= 3) {
      stalled = true; // 300 ms without progress: the kernel buffers are full
      break;
    }
  }
  BOOST_TEST_MESSAGE("sent before the stall: " << sent);
  BOOST_TEST(p->events.count("blocked") == 1u);
  BOOST_TEST(stalled);
  BOOST_TEST(sent < total);

  door->open();
  deadline = clock_type::now() + 3 * patience;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    sent += n;
    if (n == 0)
      c.wait(POLLOUT, std::chrono::milliseconds(100));
  }
  BOOST_TEST(sent == total);
  BOOST_REQUIRE(p->events.wait_count("all"));
  BOOST_TEST(p->events.count("mismatch") == 0u);
}

// -- broken peers -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(writing_to_a_reset_peer_closes_once_without_sigpipe) {
  auto srv = serve(nullptr);
  blocking_client c(srv->port());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  // Hold the engine so it cannot see the reset first: the writes below then
  // meet the dead socket themselves (ECONNRESET, then EPIPE).
  auto hold = std::make_shared<gate>();
  auto held = std::make_shared<std::promise<void>>();
  auto engine_held = held->get_future();
  eng.post([hold, held] {
    held->set_value();
    hold->wait();
  });
  struct open_on_exit {
    std::shared_ptr<gate> g;
    ~open_on_exit() { g->open(); }
  } guard{hold};
  BOOST_REQUIRE((engine_held.wait_for(patience) == std::future_status::ready));
  c.reset();
  const std::string block(64 * KiB, 'x');
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    try {
      p->write(block);
    } catch (const state_error&) {
      ++refused;
    }
  }
  hold->open();
  BOOST_REQUIRE(p->events.wait_count("close")); // and the process is still here
  BOOST_TEST(p->closed());
  BOOST_CHECK_THROW(p->write("more"), state_error);
  BOOST_TEST(p->events.count("write_error") + p->events.count("read_error") == 1u);
  BOOST_TEST(p->events.count("close") == 1u);
  BOOST_TEST_MESSAGE("writes refused while the engine was held: " << refused);
}

BOOST_AUTO_TEST_CASE(write_file_to_a_reset_peer_closes_once_without_sigpipe) {
  auto file = std::make_shared<temp_file>(pattern(0, 256 * KiB));
  auto srv = serve(nullptr);
  blocking_client c(srv->port());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  c.reset();
  for (int i = 0; i < 1000; ++i) {
    try {
      p->write_file(file->path());
    } catch (const state_error&) {
      break;
    }
    if (p->events.count("close"))
      break;
  }
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

// -- out of descriptors -------------------------------------------------------------------------

namespace {

/// Lowers the soft RLIMIT_NOFILE; restores it when told or destroyed.
class nofile_limit {
public:
  explicit nofile_limit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &old_) != 0)
      throw std::runtime_error("getrlimit failed");
    rlimit lowered = old_;
    lowered.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0)
      throw std::runtime_error("setrlimit failed");
  }
  ~nofile_limit() { restore(); }
  nofile_limit(const nofile_limit&) = delete;
  nofile_limit& operator=(const nofile_limit&) = delete;
  void restore() {
    if (!restored_)
      ::setrlimit(RLIMIT_NOFILE, &old_);
    restored_ = true;
  }

private:
  rlimit old_{};
  bool restored_ = false;
};

double seconds(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return seconds(t);
}

} // namespace

BOOST_AUTO_TEST_CASE(out_of_descriptors_does_not_spin_and_accepting_resumes) {
  auto srv = serve(echo);
  // The clients' sockets exist before the limit drops; connect() needs no
  // new descriptor.
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<raw_client>());
  int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  auto accepted_before = made->accepts.count("accept");
  {
    nofile_limit limit(static_cast<rlim_t>(lowest_free));
    int probe_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int err = errno;
    if (probe_fd >= 0)
      ::close(probe_fd);
    BOOST_REQUIRE(probe_fd < 0);
    BOOST_REQUIRE(err == EMFILE);

    auto wall0 = clock_type::now();
    auto cpu0 = process_cpu_seconds();
    for (auto& client : clients)
      client->connect(srv->port()); // completes in the kernel's backlog
    // The one place this suite measures time: a window in which a spinning
    // loop would burn a whole core. Nothing waits on it for correctness.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto cpu = process_cpu_seconds() - cpu0;
    auto wall = std::chrono::duration<double>(clock_type::now() - wall0).count();
    limit.restore();
    BOOST_TEST_MESSAGE("cpu " << cpu << " s over " << wall << " s");
    BOOST_TEST(cpu < 0.25 * wall); // a spinning engine burns ~1.0; an idle one ~0.001
    BOOST_TEST(made->accepts.count("accept") == accepted_before); // no accept got through
  }
  clients.clear();
  BOOST_TEST(srv->listening());
  blocking_client c(srv->port());
  c.send("back");
  BOOST_TEST(c.recv_exactly(4) == "back");
}

BOOST_AUTO_TEST_SUITE_END()
