// Fuzzes pants::sender_framers: datagrams from a handful of senders (IPv4,
// IPv6 and abstract Unix addresses built from the input, some of them equal),
// delimiter, buffer_size and max_senders changes between datagrams and from
// inside the frame handler, reframe and clear. Each sender's frames must be
// the reference splitter's (reference_framing.hpp) on that sender's bytes,
// and which senders are held must follow sender_framers.hpp: at most
// max_senders, the least recently heard evicted first.

#include "pants/channels/sender_framers.hpp"

#include "fuzz_input.hpp"
#include "reference_framing.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/framer.hpp"
#include "pants/channels/read_delimiter.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <utility>
#include <vector>

using namespace pants;
using namespace pants::fuzz;

namespace {

/// The reference: one plain buffer per sender holding a partial frame, most
/// recently heard first.
struct reference {
  struct held {
    endpoint from;
    std::string buf;
  };
  settings s{{}, framer::default_buffer_size, sender_framers::default_max_senders};
  std::list<held> senders;

  std::list<held>::iterator find(const endpoint& from) {
    return std::find_if(senders.begin(), senders.end(),
                        [&](const held& h) { return h.from == from; });
  }

  /// Moves `it` to the front: its sender was just heard.
  held& touch(std::list<held>::iterator it) {
    senders.splice(senders.begin(), senders, it);
    return senders.front();
  }

  // Never the front (the sender being fed): n >= 1.
  void evict_to(std::size_t n) {
    while (senders.size() > n)
      senders.pop_back();
  }

  /// Takes an action as sender_framers must have: a lower max_senders
  /// evicts at once.
  bool take(const action& a) {
    bool go_on = s.apply(a);
    if (a.what == action::max_senders && a.n > 0)
      evict_to(a.n);
    return go_on;
  }

  /// Replays a datagram from `from`; returns what `feed` must have returned.
  bool feed(const endpoint& from, const std::string& bytes, cursor& c) {
    auto it = find(from);
    if (it == senders.end() && s.delimiter.type() == read_delimiter::kind::none) {
      take(c.frame(from, bytes)); // one datagram, one frame, even an empty one
      return true;
    }
    // A new sender is held only if a partial frame is left after the feed.
    std::string fresh;
    std::string& buf = it == senders.end() ? fresh : touch(it).buf;
    buf += bytes;
    cut_all(s, buf, from, c, [&](const action& a) { return take(a); });
    bool fits = within_bound(s, buf);
    if (it == senders.end() && !buf.empty()) {
      evict_to(s.max_senders - 1);
      senders.push_front({from, std::move(fresh)});
    } else if (it != senders.end() && buf.empty()) {
      senders.pop_front();
    }
    return fits;
  }

  /// Replays a reframe: the senders held at the start, most recent first,
  /// each heard again as it is reframed.
  void reframe(cursor& c) {
    std::vector<endpoint> order;
    for (const auto& h : senders)
      order.push_back(h.from);
    bool go_on = true;
    for (const auto& from : order) {
      auto it = find(from);
      if (!go_on || it == senders.end())
        continue;
      auto& buf = touch(it).buf;
      go_on = cut_all(s, buf, from, c, [&](const action& a) { return take(a); });
      bool fits = within_bound(s, buf);
      if (buf.empty())
        senders.pop_front();
      if (!fits)
        c.overflow(from);
    }
  }
};

/// Up to six senders; the small ranges make equal addresses likely.
std::vector<endpoint> make_senders(input& in) {
  std::vector<endpoint> out;
  auto n = in.number<std::size_t>(1, 6);
  for (std::size_t i = 0; i < n; ++i) {
    auto host = std::to_string(in.number(0, 3));
    auto port = in.number<long>(1000, 1001);
    switch (in.number(0, 2)) {
    case 0:
      out.push_back(endpoint::numeric("10.0.0." + host, port));
      break;
    case 1:
      out.push_back(endpoint::numeric("fe80::" + host, port));
      break;
    default:
      out.push_back(unix_path("@sender" + host));
      break;
    }
  }
  return out;
}

struct run {
  input& in;
  std::vector<endpoint> pool;
  sender_framers f;
  reference ref;

  void feed() {
    const auto& from = pool[in.number<std::size_t>(0, pool.size() - 1)];
    auto bytes = in.bytes(64);
    recorder rec{in, true, {}};
    bool fits =
        f.feed(std::string(bytes), from, [&](std::string_view v) { return rec.frame(f, v, from); });
    cursor c(rec.log);
    bool want = ref.feed(from, bytes, c);
    c.done();
    expect(fits == want, "feed from '" + from.to_string() + "' returned " +
                             (fits ? "true" : "false") + ", the reference " +
                             (want ? "true" : "false"));
  }

  void reframe() {
    recorder rec{in, true, {}};
    f.reframe([&](std::string_view v, const endpoint& from) { return rec.frame(f, v, from); },
              [&](const endpoint& from) { rec.overflow(from); });
    cursor c(rec.log);
    ref.reframe(c);
    c.done();
  }

  /// A setting changed between datagrams.
  void change(const action& a) {
    apply(f, a);
    ref.take(a);
  }

  void check_state() {
    std::size_t total = 0;
    for (const auto& h : ref.senders)
      total += h.buf.size();
    expect(f.senders() == ref.senders.size(), "senders() is " + std::to_string(f.senders()) +
                                                  ", the reference holds " +
                                                  std::to_string(ref.senders.size()));
    expect(f.buffered() == total, "buffered() is " + std::to_string(f.buffered()) +
                                      ", the reference holds " + std::to_string(total));
    for (const auto& from : pool) {
      auto it = ref.find(from);
      auto want = it == ref.senders.end() ? std::size_t{0} : it->buf.size();
      expect(f.buffered(from) == want, "buffered('" + from.to_string() + "') is " +
                                           std::to_string(f.buffered(from)) +
                                           ", the reference holds " + std::to_string(want));
    }
    expect(f.delimiter() == ref.s.delimiter, "the delimiter differs from the reference's");
    expect(f.buffer_size() == ref.s.buffer_size, "buffer_size() differs from the reference's");
    expect(f.max_senders() == ref.s.max_senders, "max_senders() differs from the reference's");
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  run r{in, make_senders(in), {}, {}};
  while (!in.empty()) {
    switch (in.number(0, 9)) {
    case 0:
      if (auto d = in.delimiter())
        r.change({action::delimiter, *d, 0});
      break;
    case 1:
      r.change({action::buffer_size, {}, in.number<std::size_t>(0, 100)});
      break;
    case 2:
      r.change({action::max_senders, {}, in.number<std::size_t>(0, 6)});
      break;
    case 3:
      r.reframe();
      break;
    case 4:
      r.f.clear();
      r.ref.senders.clear();
      break;
    default:
      r.feed();
      break;
    }
    r.check_state();
  }
  return 0;
}
