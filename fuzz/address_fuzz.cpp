// Fuzzes the parsing and formatting of addresses (src/channels/address.hpp):
// numeric hosts and ports as a user types them, Unix paths and @names, and
// raw socket addresses of any length as recvfrom or accept hand them over.
// Nothing may crash; misuse must throw address_error (anything else escaping
// is a finding); what parses must format back to text that parses to the
// same address; equal addresses must format, hash and convert alike.

#include "pants/channels/address.hpp"

#include "fuzz_input.hpp"

#include "pants/channels/errors.hpp"
#include "pants/channels/unix_socket_file.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

using namespace pants;
using namespace pants::fuzz;

namespace {

constexpr std::size_t max_unix_name = sizeof(sockaddr_un::sun_path) - 1; // 107

bool valid_port(long port) { return port >= 0 && port <= 65535; }

/// Ports near the bounds mostly, sometimes any long at all.
long next_port(input& in) {
  return in.number(0, 3) == 0 ? in.any_number<long>() : in.number<long>(-2, 65537);
}

/// A host as a user might type it: mostly from the characters of numeric
/// addresses, so that many parse, sometimes any bytes.
std::string next_host(input& in) {
  bool raw = in.number(0, 3) == 0;
  auto s = in.raw_bytes(48);
  if (!raw)
    for (auto& c : s)
      c = "0123456789abcdef.:[]%\0"[static_cast<unsigned char>(c) % 22];
  return s;
}

/// Whatever `to` is asked, the answer is an address of that family or an
/// address_error.
void check_for_family(const endpoint& e, int to) {
  try {
    auto r = e.for_family(to);
    expect(r.family() == to, "for_family(" + std::to_string(to) + ") of '" + e.to_string() +
                                 "' gave family " + std::to_string(r.family()));
    expect(r.port() == e.port(), "for_family changed the port of '" + e.to_string() + "'");
  } catch (const address_error&) {
  }
}

/// What holds for any endpoint, however it was made.
void check_any(const endpoint& e, input& in) {
  compact_endpoint small(e);
  auto copy = small.get();
  auto text = e.to_string();
  expect(copy == e, "compact_endpoint changed '" + text + "'");
  expect(small.family() == e.family(), "compact_endpoint's family differs for '" + text + "'");
  // Equal addresses (the copy has zeros past the length) behave alike.
  expect(copy.to_string() == text,
         "equal addresses format as " + show(text) + " and " + show(copy.to_string()));
  expect(copy.family() == e.family(), "equal addresses differ in family: " + show(text));
  expect(copy.port() == e.port(), "equal addresses differ in port: " + show(text));
  expect(copy.hash() == e.hash(), "equal addresses differ in hash: " + show(text));
  for (int to : {AF_INET, AF_INET6, AF_UNIX, in.any_number<int>()})
    check_for_family(e, to);
}

/// A network address formats as host:port, which parses back to it.
void check_network_text(const endpoint& e) {
  auto text = e.to_string();
  auto colon = text.rfind(':');
  expect(colon != std::string::npos && colon + 1 < text.size(), "no port in " + show(text));
  auto again = endpoint::numeric(text.substr(0, colon), std::stol(text.substr(colon + 1)));
  expect(again.to_string() == text, show(text) + " parses back as " + show(again.to_string()));
}

void numeric(input& in) {
  auto host = next_host(in);
  auto port = next_port(in);
  bool numeric_host = endpoint::is_numeric_host(host);
  endpoint e;
  try {
    e = endpoint::numeric(host, port);
  } catch (const address_error&) {
    expect(!valid_port(port) || !numeric_host,
           "numeric(" + show(host) + ", " + std::to_string(port) + ") threw");
    return;
  }
  expect(valid_port(port) && numeric_host,
         "numeric(" + show(host) + ", " + std::to_string(port) + ") did not throw");
  expect(host.find('\0') == std::string::npos,
         "numeric(" + show(host) + ") took a host with a NUL byte, cut at the NUL");
  expect(e.family() == AF_INET || e.family() == AF_INET6, "numeric gave a non-network address");
  expect(e.port() == port, "numeric(" + show(host) + ", " + std::to_string(port) + ") has port " +
                               std::to_string(e.port()));
  check_network_text(e);
  expect(endpoint::numeric(e.to_string().substr(0, e.to_string().rfind(':')), port) == e,
         show(e.to_string()) + " parses back to another address");
  unix_socket_file::prepare(e, SOCK_DGRAM); // a network address: nothing to do
  check_any(e, in);
}

void port(input& in) {
  auto port = next_port(in);
  try {
    expect(endpoint::check_port(port) == port, "check_port(" + std::to_string(port) + ")");
    auto e = endpoint::any(port);
    expect(e.port() == port, "any(" + std::to_string(port) + ") has another port");
    check_network_text(e);
    check_any(e, in);
  } catch (const address_error&) {
    expect(!valid_port(port), "check_port or any threw for " + std::to_string(port));
    return;
  }
  expect(valid_port(port), "check_port and any took " + std::to_string(port));
}

void unix_name(input& in) {
  auto path = (in.number(0, 1) ? "@" : "") + in.raw_bytes(max_unix_name + 4);
  auto name = !path.empty() && path[0] == '@' ? path.substr(1) : path;
  // address.hpp: empty, a NUL byte, or longer than 107 bytes throws.
  bool valid =
      !name.empty() && name.find('\0') == std::string::npos && name.size() <= max_unix_name;
  endpoint e;
  try {
    e = unix_path(path);
  } catch (const address_error&) {
    expect(!valid, "unix_path(" + show(path) + ") threw");
    return;
  }
  expect(valid, "unix_path(" + show(path) + ") did not throw");
  expect(e.family() == AF_UNIX && e.port() == 0, "unix_path(" + show(path) + ") is not Unix");
  expect(e.to_string() == path, "unix_path(" + show(path) + ") formats as " + show(e.to_string()));
  expect(unix_path(e.to_string()) == e, show(path) + " parses back to another address");
  if (path[0] == '@')
    unix_socket_file::prepare(e, SOCK_STREAM); // an abstract name has no file: nothing to do
  check_any(e, in);
}

/// A socket address as the kernel fills it: any bytes in the whole buffer
/// (what a reused endpoint held before), a family, then a length.
void raw(input& in) {
  endpoint e;
  auto bytes = in.raw_bytes(endpoint::capacity());
  std::memcpy(e.data(), bytes.data(), bytes.size());
  const sa_family_t families[] = {AF_INET, AF_INET6, AF_UNIX, in.any_number<sa_family_t>()};
  e.data()->sa_family = families[in.number(0, 3)];
  e.resize(in.number<socklen_t>(0, endpoint::capacity() + 2));
  auto text = e.to_string();
  if (!text.empty() && (e.family() == AF_INET || e.family() == AF_INET6))
    check_network_text(e);
  if (!text.empty() && e.family() == AF_UNIX) {
    try {
      expect(unix_path(text).to_string() == text, show(text) + " parses back differently");
    } catch (const address_error&) {
      // a name the kernel may report but unix_path refuses (a NUL, too long)
    }
  }
  check_any(e, in);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  while (!in.empty()) {
    switch (in.number(0, 3)) {
    case 0:
      numeric(in);
      break;
    case 1:
      port(in);
      break;
    case 2:
      unix_name(in);
      break;
    default:
      raw(in);
      break;
    }
  }
  return 0;
}
