// TLS stream channels over real sockets of every family: our server
// (server.tls) against our client (start_tls before connect) and against
// Debian's `openssl s_client`; STARTTLS on a line protocol; the bad-input
// cases, each ending in on_tls_error then on_close. Certificates are made
// at test time (tls_files.hpp).

#include "pants/actors/stream.hpp"

#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/tls_context.hpp"
#include "support/child_process.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"
#include "support/peers.hpp"
#include "support/tls_files.hpp"

#define BOOST_TEST_MODULE tls_stream
#include <boost/test/unit_test.hpp>

#include "support/family.hpp"
#include "support/probe.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::test;

// Not anonymous: the family test cases are templates that use these.
namespace tls_stream {

const tls_files& files() { return tls_files::get(); }

tls_options server_side() {
  tls_options o;
  o.certificate_chain_file = files().leaf;
  o.private_key_file = files().leaf_key;
  return o;
}

tls_options client_side() {
  tls_options o;
  o.ca_file = files().ca;
  o.host_name = "localhost"; // the certificate's name, on every family
  return o;
}

/// A client channel that logs its callbacks and keeps what it reads.
class tls_client : public client {
public:
  using client::client;
  event_log events;
  std::string got;
  std::string send_on_connect;

protected:
  std::size_t sent_ = 0;
  void on_tls_handshake() override { events.add("tls"); }
  // Writes send_on_connect 256 KiB at a time, the next piece on each
  // drain: a writer that queued it all at once would stop reading at its
  // high-water mark while the echo waits on it (over a Unix socket's small
  // buffers, both would wait for good).
  void on_connect() override {
    events.add("connect");
    send_next();
  }
  void on_write() override { send_next(); }
  void send_next() {
    if (sent_ < send_on_connect.size()) {
      auto piece = std::string_view(send_on_connect).substr(sent_, 256 * 1024);
      sent_ += piece.size();
      write(piece);
    }
  }
  void on_read(std::string_view d) override {
    got += d;
    events.add("read");
  }
  void on_tls_error(const net_error& e) override { events.add("tls_error:" + e.message); }
  void on_close() override { events.add("close"); }
};

/// Our client to `at`, TLS started before connecting.
std::shared_ptr<tls_client> connect_tls(probe_fixture& f, const endpoint& at,
                                        const tls_options& o) {
  auto c = std::make_shared<tls_client>(f.eng);
  c->start_tls(o);
  c->connect(at);
  return c;
}

/// The events up to and including "close", without the repeated "read"s.
std::vector<std::string> outline(std::vector<std::string> log) {
  log.erase(std::unique(log.begin(), log.end()), log.end());
  return log;
}

/// A line-protocol client: "STARTTLS", then TLS on reading "GO".
struct starttls_client : tls_client {
  using tls_client::tls_client;
  void on_connect() override {
    read_delimiter("\n");
    write("STARTTLS\n");
  }
  void on_read(std::string_view line) override {
    events.add("read:" + std::string(line));
    if (line == "GO") {
      start_tls(client_side());
      write("hello\n");
    }
  }
};

/// STARTTLS on connecting, then `piece` written at once: what the write
/// marks see while the handshake has not completed.
struct early_writer : tls_client {
  using tls_client::tls_client;
  std::string piece;
  std::atomic<std::size_t> queued{0};
  void on_connect() override {
    set_write_marks(64 * 1024, 16 * 1024);
    auto o = client_side();
    o.handshake_timeout = std::chrono::milliseconds(300);
    start_tls(o);
    write(piece);
    queued = bytes_queued();
    events.add("queued");
  }
};

} // namespace tls_stream

using namespace tls_stream;

BOOST_FIXTURE_TEST_SUITE(tls_stream_suite, probe_fixture)

PANTS_FAMILY_TEST_CASE(our_tls_client_and_server_echo_four_mib_intact) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  auto c = std::make_shared<tls_client>(eng);
  const auto data = pattern(11, 4 << 20);
  c->send_on_connect = data;
  c->start_tls(client_side());
  c->connect(at);
  BOOST_REQUIRE(c->events.wait(
      [&](const std::vector<std::string>&) { return c->got.size() >= data.size(); }));
  BOOST_TEST((c->got == data));
  auto p = next_channel();
  auto log = p->events.snapshot();
  BOOST_REQUIRE(log.size() >= 2u);
  BOOST_TEST(log[0] == "tls"); // the server side's on_connect follows the handshake
  BOOST_TEST(log[1] == "connect");
  c->close();
  BOOST_REQUIRE(c->events.wait_count("close"));
  BOOST_TEST((outline(c->events.snapshot()) ==
              std::vector<std::string>{"tls", "connect", "read", "close"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(delimiters_and_their_change_mid_stream_work_on_the_decrypted_bytes) {
  // Length-prefixed frames, then (changed inside on_read) a pattern.
  auto framed = [](const std::string& d) {
    return std::string{static_cast<char>(d.size() >> 8), static_cast<char>(d.size() & 0xff)} + d;
  };
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter(pants::length_prefix(2, 4096)); };
    p.read_hook = [](probe& self, std::string_view frame) {
      if (self.read_delimiter().type() == pants::read_delimiter::kind::regex) {
        self.write("line:" + std::string(frame) + "\n");
        return;
      }
      self.write_framed("got:" + std::string(frame));
      if (frame == "lines")
        self.read_delimiter(pants::regex(R"(\r?\n)"));
    };
  });
  servers.back()->tls(server_side());
  auto c = std::make_shared<tls_client>(eng);
  c->send_on_connect = framed("hello") + framed("") + framed("lines") + "a\r\nb\n";
  c->start_tls(client_side());
  c->connect(at);
  const auto want = framed("got:hello") + framed("got:") + framed("got:lines") + "line:a\nline:b\n";
  BOOST_REQUIRE(c->events.wait(
      [&](const std::vector<std::string>&) { return c->got.size() >= want.size(); }));
  BOOST_TEST((c->got == want));
  c->close();
  BOOST_REQUIRE(c->events.wait_count("close"));
}

PANTS_FAMILY_TEST_CASE(both_channels_know_the_version_cipher_and_alpn_protocol_agreed) {
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) {
      auto agreed = self.tls_info();
      self.events.add("agreed:" + agreed.version + " " + agreed.alpn);
    };
  });
  auto so = server_side();
  so.alpn = {"http/1.1"};
  servers.back()->tls(so);
  auto co = client_side();
  co.alpn = {"h2", "http/1.1"};
  auto c = std::make_shared<tls_client>(eng);
  c->start_tls(co);
  BOOST_TEST(c->tls_info().version == ""); // not before the handshake
  c->connect(at);
  BOOST_REQUIRE(c->events.wait_count("connect"));
  auto agreed = c->tls_info();
  BOOST_TEST(agreed.version == "TLSv1.3");
  BOOST_TEST(agreed.cipher.rfind("TLS_", 0) == 0u, agreed.cipher);
  BOOST_TEST(agreed.alpn == "http/1.1");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("agreed:TLSv1.3 http/1.1"));
  c->close();
  BOOST_REQUIRE(c->events.wait_count("close"));
}

PANTS_FAMILY_TEST_CASE(a_plaintext_client_gets_a_tls_error_and_a_close) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  blocking_client c(at);
  c.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(
      (p->events.snapshot() == std::vector<std::string>{"tls_error:TLS: http request", "close"}),
      boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
}

PANTS_FAMILY_TEST_CASE(a_client_that_cannot_verify_the_server_ends_with_the_reason) {
  auto at = serve(fam, echo);
  auto self = server_side();
  self.certificate_chain_file = files().self_signed;
  self.private_key_file = files().self_key;
  servers.back()->tls(self);
  auto c = connect_tls(*this, at, client_side());
  BOOST_REQUIRE(c->events.wait_count("close"));
  BOOST_TEST((c->events.snapshot() ==
              std::vector<std::string>{
                  "tls_error:TLS: certificate verify failed: self-signed certificate", "close"}),
             boost::test_tools::per_element());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close")); // the alert told it why
  auto log = p->events.snapshot();
  BOOST_TEST(log.front().rfind("tls_error:TLS: ", 0) == 0u, log.front());
}

PANTS_FAMILY_TEST_CASE(a_wrong_host_name_ends_the_client_before_on_connect) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  auto o = client_side();
  o.host_name = "example.invalid";
  auto c = connect_tls(*this, at, o);
  BOOST_REQUIRE(c->events.wait_count("close"));
  BOOST_TEST((c->events.snapshot() ==
              std::vector<std::string>{
                  "tls_error:TLS: certificate verify failed: hostname mismatch", "close"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(garbage_instead_of_a_handshake_is_a_tls_error_and_a_close) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  blocking_client c(at);
  c.send(pattern(3, 4096)); // not a TLS record
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  auto log = p->events.snapshot();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0] == "tls_error:TLS: wrong version number");
  BOOST_TEST(log[1] == "close");
  BOOST_TEST(c.peer_closed());
}

PANTS_FAMILY_TEST_CASE(a_peer_that_hangs_up_mid_handshake_is_a_tls_error) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  {
    blocking_client c(at);
    c.send(std::string("\x16\x03\x01\x00\x80", 5)); // a handshake record's header, then nothing
  }
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST((p->events.snapshot() ==
              std::vector<std::string>{
                  "tls_error:TLS: the peer closed the connection during the handshake", "close"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(starttls_sends_earlier_bytes_in_the_clear_then_encrypts) {
  // A line protocol: "STARTTLS" is answered "GO" in the clear, then the
  // server starts TLS; the client does the same on reading "GO".
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
    p.read_hook = [](probe& self, std::string_view line) {
      self.events.add("line:" + std::string(line));
      if (line == "STARTTLS") {
        // The answer in the clear and the switch at once: no client byte
        // can arrive between them.
        self.start_tls(server_side(), "GO\n");
      } else {
        self.write("secret:" + std::string(line) + "\n");
      }
    };
  });
  auto c = std::make_shared<starttls_client>(eng);
  c->connect(at);
  BOOST_REQUIRE(c->events.wait_count("read:secret:hello"));
  BOOST_TEST(
      (c->events.snapshot() == std::vector<std::string>{"read:GO", "tls", "read:secret:hello"}),
      boost::test_tools::per_element());
  auto p = next_channel();
  auto log = p->events.snapshot();
  log.erase(std::remove(log.begin(), log.end(), "write"), log.end()); // drains: timing
  BOOST_TEST((log == std::vector<std::string>{"connect", "line:STARTTLS", "tls", "line:hello"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(write_file_over_tls_arrives_intact_and_in_order_then_the_end) {
  const auto content = pattern(13, (1 << 20) + 4321); // not a whole number of pieces
  auto file = std::make_shared<temp_file>(content);
  auto at = serve(fam, [file](probe& p) {
    p.connect_hook = [file](probe& self) {
      self.write("head");
      self.write_file(file->path());
      self.write("middle");
      self.write_file(file->path(), 1000, 5000);
      self.write("tail");
      self.end(); // close_notify after the files, then the close
    };
  });
  servers.back()->tls(server_side());
  auto c = connect_tls(*this, at, client_side());
  BOOST_REQUIRE(c->events.wait_count("close"));
  auto want = "head" + content + "middle" + content.substr(1000, 5000) + "tail";
  BOOST_TEST(c->got.size() == want.size());
  BOOST_TEST((c->got == want));
  BOOST_TEST((outline(c->events.snapshot()) ==
              std::vector<std::string>{"tls", "connect", "read", "close"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(openssl_s_client_talks_to_our_tls_server_on_each_version) {
  for (const char* version : {"-tls1_2", "-tls1_3"}) {
    auto at = serve(family::ipv4, echo);
    servers.back()->tls(server_side());
    child peer({"/usr/bin/openssl", "s_client", "-connect", at.to_string(), version, "-CAfile",
                files().ca, "-verify_return_error", "-servername", "localhost", "-quiet"},
               true, false);
    peer.write_stdin("ping from s_client\n");
    BOOST_TEST(peer.read_until([](const std::string& out) {
      return out.find("ping from s_client\n") != std::string::npos;
    }));
    auto p = next_channel();
    auto log = p->events.snapshot();
    BOOST_REQUIRE(log.size() >= 2u);
    BOOST_TEST(log[0] == "tls", version);
    BOOST_TEST(log[1] == "connect", version);
  }
}

BOOST_AUTO_TEST_CASE(misuse_throws_and_changes_nothing) {
  serve(family::ipv4, echo);
  auto c = std::make_shared<tls_client>(eng);
  auto bad = client_side();
  bad.ca_file = files().dir + "/none.pem";
  BOOST_CHECK_THROW(c->start_tls(bad), tls_config_error);
  c->start_tls(client_side());
  BOOST_CHECK_THROW(c->start_tls(client_side()), state_error);
  BOOST_CHECK_THROW(servers.back()->tls(tls_options{}), tls_config_error);
  BOOST_TEST(!servers.back()->tls_server_context());
  c->close();
}

PANTS_FAMILY_TEST_CASE(writes_before_the_handshake_count_toward_the_marks_until_it_times_out) {
  // A peer that never answers the ClientHello: the handshake cannot
  // complete, so what the channel writes waits, counted and unencrypted
  // nowhere on the wire, until the handshake's bound ends the channel.
  std::string wire;
  std::mutex wire_mtx;
  auto at = serve(fam, [&](probe& p) {
    p.read_hook = [&](probe&, std::string_view d) {
      std::lock_guard<std::mutex> guard(wire_mtx);
      wire += d;
    };
  });
  auto c = std::make_shared<early_writer>(eng);
  c->piece = pattern(5, 256 * 1024);
  c->connect(at);
  BOOST_REQUIRE(c->events.wait_count("close"));
  BOOST_TEST(c->queued.load() >= c->piece.size()); // in the backlog, over the high mark
  BOOST_TEST((c->events.snapshot() ==
              std::vector<std::string>{
                  "queued", "tls_error:TLS: the handshake timed out after 300 ms", "close"}),
             boost::test_tools::per_element());
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  std::lock_guard<std::mutex> guard(wire_mtx);
  BOOST_REQUIRE(!wire.empty());
  BOOST_TEST(wire[0] == '\x16');                // a handshake record: the ClientHello
  BOOST_TEST(wire.size() < 4096u, wire.size()); // and nothing of the 256 KiB
}

PANTS_FAMILY_TEST_CASE(a_peer_that_connects_and_never_speaks_ends_at_the_handshake_bound) {
  auto at = serve(fam, echo);
  auto o = server_side();
  o.handshake_timeout = std::chrono::milliseconds(200);
  servers.back()->tls(o);
  blocking_client c(at); // connects, sends nothing
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(
      (p->events.snapshot() ==
       std::vector<std::string>{"tls_error:TLS: the handshake timed out after 200 ms", "close"}),
      boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
}

PANTS_FAMILY_TEST_CASE(a_connection_cap_holds_the_next_handshake_until_a_close) {
  auto at = serve(fam, echo);
  servers.back()->tls(server_side());
  servers.back()->set_max_connections(1);
  auto first = std::make_shared<tls_client>(eng);
  first->send_on_connect = "one";
  first->start_tls(client_side());
  first->connect(at);
  BOOST_REQUIRE(
      first->events.wait([&](const std::vector<std::string>&) { return first->got == "one"; }));
  auto second = std::make_shared<tls_client>(eng);
  second->send_on_connect = "two";
  second->start_tls(client_side());
  second->connect(at); // waits in the listen backlog: no handshake yet
  next_channel();
  BOOST_TEST(second->events.snapshot().empty()); // not accepted while the first is open
  first->close();
  BOOST_REQUIRE(first->events.wait_count("close"));
  BOOST_REQUIRE(
      second->events.wait([&](const std::vector<std::string>&) { return second->got == "two"; }));
  BOOST_TEST(
      (outline(second->events.snapshot()) == std::vector<std::string>{"tls", "connect", "read"}),
      boost::test_tools::per_element());
  second->close();
  BOOST_REQUIRE(second->events.wait_count("close"));
}

BOOST_AUTO_TEST_SUITE_END()
