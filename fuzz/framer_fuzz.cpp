// Fuzzes pants::framer: the input is a sequence of operations (set the
// delimiter, set buffer_size, clear, end the input, feed a chunk), and the frame handler
// takes actions of its own (change the delimiter or buffer_size, stop).
// Every frame, every overflow and the state after each operation must match
// the reference splitter of reference_framing.hpp.

#include "pants/channels/framer.hpp"

#include "fuzz_input.hpp"
#include "reference_framing.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/read_delimiter.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

using namespace pants;
using namespace pants::fuzz;

namespace {

const endpoint nobody; // a single framer's frames come from no one

struct reference {
  settings s;
  std::string buf;

  /// Replays a feed of `chunk`; returns what `feed` must have returned.
  bool feed(const std::string& chunk, cursor& c) {
    if (s.delimiter.type() == read_delimiter::kind::none && buf.empty()) {
      // framer.hpp's common case: the chunk goes on as it is, unbuffered,
      // whatever the handler returns.
      if (!chunk.empty())
        s.apply(c.frame(nobody, chunk));
      return true;
    }
    buf += chunk;
    cut_all(s, buf, nobody, c, [&](const action& a) { return s.apply(a); });
    return within_bound(s, buf);
  }
};

void feed(framer& f, reference& ref, input& in) {
  auto chunk = in.bytes(64);
  recorder rec{in, false, {}};
  bool fits =
      f.feed(std::string(chunk), [&](std::string_view v) { return rec.frame(f, v, nobody); });
  cursor c(rec.log);
  bool want = ref.feed(chunk, c);
  c.done();
  expect(fits == want, std::string("feed returned ") + (fits ? "true" : "false") +
                           ", the reference " + (want ? "true" : "false"));
}

/// The end of the input: what only the end completes, then nothing held.
void finish(framer& f, reference& ref, input& in) {
  recorder rec{in, false, {}};
  f.finish([&](std::string_view v) { return rec.frame(f, v, nobody); });
  cursor c(rec.log);
  if (ref.s.delimiter.type() == read_delimiter::kind::regex && !ref.buf.empty())
    cut_all(
        ref.s, ref.buf, nobody, c, [&](const action& a) { return ref.s.apply(a); }, true);
  ref.buf.clear();
  c.done();
}

void check_state(const framer& f, const reference& ref) {
  expect(f.buffered() == ref.buf.size(), "buffered() is " + std::to_string(f.buffered()) +
                                             ", the reference holds " + show(ref.buf));
  expect(f.delimiter() == ref.s.delimiter, "the delimiter differs from the reference's");
  expect(f.buffer_size() == ref.s.buffer_size, "buffer_size() differs from the reference's");
  expect(f.limit() == ref.s.limit(), "limit() is " + std::to_string(f.limit()) +
                                         ", the reference says " + std::to_string(ref.s.limit()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  framer f;
  reference ref;
  while (!in.empty()) {
    switch (in.number(0, 7)) {
    case 0:
      if (auto d = in.delimiter()) {
        f.delimiter(*d);
        ref.s.delimiter = std::move(*d);
      }
      break;
    case 1: {
      action a{action::buffer_size, {}, in.number<std::size_t>(0, 100)};
      apply(f, a);
      ref.s.apply(a);
      break;
    }
    case 2:
      f.clear();
      ref.buf.clear();
      break;
    case 3:
      finish(f, ref, in);
      break;
    default:
      feed(f, ref, in);
      break;
    }
    check_state(f, ref);
  }
  return 0;
}
