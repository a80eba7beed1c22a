// docs: hidden {
// The C++ blocks of docs/datagrams.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
// docs: hidden {
#include <pants/pants.hpp>

#include <cstdio>
#include <memory>

void run() {
// docs: hidden }
auto channel = std::make_shared<pants::behavior_datagram>([](pants::datagram& self) -> caf::behavior {
  return {
      [&self](const pants::datagram_msg& m) { self.write(m.data, m.from); },
      [](pants::closed_msg) { std::puts("closed"); },
  };
});
channel->listen(4000);
// docs: hidden {
  (void)channel;
}
// docs: hidden }
