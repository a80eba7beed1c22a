// TLS sessions on OpenSSL memory buffers: two sessions of ours pumped into
// each other in memory, and one of ours against Debian's `openssl s_server`
// over a loopback socket; certificates made at test time (tls_files.hpp).

#include "pants/channels/tls_session.hpp"

#include "pants/channels/tls_context.hpp"
#include "support/child_process.hpp"
#include "support/tls_files.hpp"

#define BOOST_TEST_MODULE tls_session
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace pants {
std::ostream& operator<<(std::ostream& o, tls_version v) { return o << to_string(v); }
} // namespace pants

using namespace pants;
using pants::test::tls_files;
using state = tls_session::state;

namespace {

const tls_files& files() { return tls_files::get(); }

tls_options server_options(const std::string& cert, const std::string& key) {
  tls_options o;
  o.certificate_chain_file = cert;
  o.private_key_file = key;
  return o;
}

tls_options client_options() {
  tls_options o;
  o.ca_file = files().ca;
  return o;
}

/// A client and a server session, and what each has decrypted.
struct pair {
  tls_session client, server;
  std::string client_got, server_got;

  pair(const tls_options& c, const tls_options& s, const std::string& host = "localhost")
      : client(tls_context::make(tls_role::client, c), host),
        server(tls_context::make(tls_role::server, s)) {
    client.start();
  }

  /// Moves ciphertext both ways until neither side has any.
  void pump() {
    for (int turn = 0; turn < 1000 && (client.has_output() || server.has_output()); ++turn) {
      std::string wire;
      client.take_output(wire);
      server.receive(wire, server_got);
      wire.clear();
      server.take_output(wire);
      client.receive(wire, client_got);
    }
  }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  return s;
}

const std::vector<tls_version> versions{tls_version::v1_2, tls_version::v1_3};

} // namespace

BOOST_AUTO_TEST_SUITE(tls_session_suite)

BOOST_DATA_TEST_CASE(a_handshake_in_memory_carries_four_mib_each_way_intact,
                     boost::unit_test::data::make(versions), version) {
  auto c = client_options();
  c.min_version = c.max_version = version;
  pair p(c, server_options(files().leaf, files().leaf_key));
  p.pump();
  BOOST_REQUIRE((p.client.current() == state::open));
  BOOST_REQUIRE((p.server.current() == state::open));
  BOOST_TEST(p.client.version() == to_string(version));
  BOOST_TEST(!p.client.cipher().empty());
  const auto up = pattern(4 << 20), down = pattern((4 << 20) + 1);
  for (std::size_t at = 0; at < up.size(); at += 100000) {
    p.client.send(std::string_view(up).substr(at, 100000));
    p.server.send(std::string_view(down).substr(at, 100000));
    p.pump();
  }
  BOOST_TEST(p.server_got.size() == up.size());
  BOOST_TEST(p.client_got.size() == down.size());
  BOOST_TEST((p.server_got == up));
  BOOST_TEST((p.client_got == down));
}

BOOST_AUTO_TEST_CASE(bytes_sent_before_the_handshake_completes_wait_and_go_first) {
  pair p(client_options(), server_options(files().leaf, files().leaf_key));
  p.client.send("early ");
  p.client.send("bytes");
  BOOST_TEST(p.client.pending() == 11u);
  p.client.send("");
  p.pump();
  BOOST_TEST(p.client.pending() == 0u);
  p.client.send("; later");
  p.pump();
  BOOST_TEST(p.server_got == "early bytes; later");
}

BOOST_AUTO_TEST_CASE(close_notify_ends_the_peer_after_what_was_sent_before_it) {
  pair p(client_options(), server_options(files().leaf, files().leaf_key));
  p.client.send("last words");
  p.client.close_notify(); // before the handshake: after it, and after the data
  p.client.send("never");
  p.pump();
  BOOST_TEST(p.server_got == "last words");
  BOOST_TEST((p.server.current() == state::closed));
  p.server.send("an answer"); // a half-close: the server may still answer
  p.pump();
  BOOST_TEST(p.client_got == "an answer");
}

BOOST_AUTO_TEST_CASE(alpn_takes_the_servers_first_choice_that_the_client_offers) {
  auto c = client_options();
  c.alpn = {"http/1.1", "h2"};
  auto s = server_options(files().leaf, files().leaf_key);
  s.alpn = {"h2", "http/1.1"};
  pair p(c, s);
  p.pump();
  BOOST_TEST(p.client.alpn() == "h2");
  BOOST_TEST(p.server.alpn() == "h2");
  s.alpn = {"imap"};
  pair none(c, s);
  none.pump();
  BOOST_TEST((none.client.current() == state::open)); // no protocol in common: none chosen
  BOOST_TEST(none.client.alpn() == "");
}

BOOST_AUTO_TEST_CASE(a_certificate_for_the_connect_address_verifies_and_another_address_does_not) {
  pair ok(client_options(), server_options(files().leaf, files().leaf_key), "127.0.0.1");
  ok.pump();
  BOOST_TEST((ok.client.current() == state::open), ok.client.error());
  pair wrong(client_options(), server_options(files().leaf, files().leaf_key), "127.0.0.2");
  wrong.pump();
  BOOST_TEST((wrong.client.current() == state::failed));
  BOOST_TEST(wrong.client.error() == "certificate verify failed: IP address mismatch");
}

BOOST_AUTO_TEST_CASE(each_bad_certificate_fails_the_client_with_the_reason) {
  struct bad {
    std::string cert, key, host, why;
  };
  const auto& f = files();
  for (const auto& b : {bad{f.self_signed, f.self_key, "localhost", "self-signed certificate"},
                        bad{f.expired, f.expired_key, "localhost", "certificate has expired"},
                        bad{f.leaf, f.leaf_key, "example.invalid", "hostname mismatch"}}) {
    pair p(client_options(), server_options(b.cert, b.key), b.host);
    p.pump();
    BOOST_TEST((p.client.current() == state::failed), b.why);
    BOOST_TEST(p.client.error() == "certificate verify failed: " + b.why);
    // The client's alert tells the server why it was refused.
    BOOST_TEST((p.server.current() == state::failed), b.why);
    BOOST_TEST(!p.server.error().empty());
  }
}

BOOST_AUTO_TEST_CASE(verification_off_accepts_a_self_signed_server) {
  auto c = client_options();
  c.verify_peer = false;
  pair p(c, server_options(files().self_signed, files().self_key), "anything");
  p.pump();
  BOOST_TEST((p.client.current() == state::open));
}

BOOST_AUTO_TEST_CASE(a_server_that_verifies_clients_refuses_one_without_a_certificate) {
  auto s = server_options(files().leaf, files().leaf_key);
  s.verify_peer = true;
  s.ca_file = files().ca;
  pair anonymous(client_options(), s);
  anonymous.pump();
  BOOST_TEST((anonymous.server.current() == state::failed));
  BOOST_TEST(anonymous.server.error().find("peer did not return a certificate") !=
                 std::string::npos,
             anonymous.server.error());
  auto c = client_options();
  c.certificate_chain_file = files().client;
  c.private_key_file = files().client_key;
  pair known(c, s);
  known.pump();
  BOOST_TEST((known.server.current() == state::open));
}

BOOST_AUTO_TEST_CASE(plaintext_or_garbage_fails_the_session_and_later_bytes_are_ignored) {
  tls_session server(
      tls_context::make(tls_role::server, server_options(files().leaf, files().leaf_key)));
  std::string got;
  BOOST_TEST((server.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", got) == state::failed));
  BOOST_TEST(server.error() == "http request");
  BOOST_TEST((server.receive("more", got) == state::failed));
  BOOST_TEST(got.empty());

  pair p(client_options(), server_options(files().leaf, files().leaf_key));
  p.pump();
  p.client.send("a record to spoil");
  std::string wire;
  p.client.take_output(wire);
  wire[wire.size() - 3] ^= 0x40; // a flipped bit in the record's tag
  BOOST_TEST((p.server.receive(wire, p.server_got) == state::failed));
  BOOST_TEST(p.server.error() == "decryption failed or bad record mac");
  BOOST_TEST(p.server_got.empty());
}

BOOST_AUTO_TEST_CASE(bad_configurations_throw_with_openssls_reason) {
  auto missing = server_options(files().dir + "/none.pem", files().leaf_key);
  BOOST_CHECK_THROW(tls_context::make(tls_role::server, missing), tls_config_error);
  try {
    tls_context::make(tls_role::server, server_options(files().leaf, files().stray_key));
    BOOST_FAIL("no throw");
  } catch (const tls_config_error& e) {
    BOOST_TEST(std::string(e.what()).find("key values mismatch") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(tls_context::make(tls_role::server, tls_options{}), tls_config_error);
  auto c = client_options();
  c.min_version = tls_version::v1_3;
  c.max_version = tls_version::v1_2;
  BOOST_CHECK_THROW(tls_context::make(tls_role::client, c), tls_config_error);
  c = client_options();
  c.alpn = {""};
  BOOST_CHECK_THROW(tls_context::make(tls_role::client, c), std::invalid_argument);
  c = client_options();
  c.ca_file = files().dir + "/none.pem";
  BOOST_CHECK_THROW(tls_context::make(tls_role::client, c), tls_config_error);
  c = client_options();
  c.handshake_timeout = std::chrono::milliseconds(-1);
  BOOST_CHECK_THROW(tls_context::make(tls_role::client, c), tls_config_error);
  c.handshake_timeout = std::chrono::milliseconds(0); // no bound: accepted
  BOOST_CHECK_NO_THROW(tls_context::make(tls_role::client, c));
}

BOOST_DATA_TEST_CASE(our_client_fetches_openssl_s_servers_status_page,
                     boost::unit_test::data::make(versions), version) {
  const auto& f = files();
  pants::test::child server({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
                             f.leaf, "-key", f.leaf_key, "-www", "-naccept", "1"},
                            false, false);
  BOOST_REQUIRE(server.read_until([](const std::string& out) {
    auto at = out.find("ACCEPT 127.0.0.1:");
    return at != std::string::npos && out.find('\n', at) != std::string::npos;
  }));
  const auto& out = server.out();
  auto port = std::stoi(out.substr(out.find("ACCEPT 127.0.0.1:") + 17));

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  timeval tv{10, 0}; // every read bounded
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  auto c = client_options();
  c.min_version = c.max_version = version;
  tls_session s(tls_context::make(tls_role::client, c), "localhost");
  s.start();
  s.send("GET / HTTP/1.0\r\n\r\n");
  std::string page;
  for (;;) {
    std::string wire;
    s.take_output(wire);
    if (!wire.empty())
      BOOST_REQUIRE(::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) ==
                    static_cast<ssize_t>(wire.size()));
    char buf[16384];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break; // s_server closes after its page
    auto st = s.receive(std::string_view(buf, static_cast<std::size_t>(n)), page);
    if (st == state::failed || st == state::closed)
      break;
  }
  ::close(fd);
  BOOST_TEST(s.error() == "");
  BOOST_TEST(page.rfind("HTTP/1.0 200 ok", 0) == 0u, page.substr(0, 80));
  BOOST_TEST(page.find(to_string(version)) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
