// docs: hidden {
// The C++ blocks of docs/datagrams.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
// docs: hidden {
#include <pants/pants.hpp>

#include <memory>
#include <string_view>

// docs: hidden }
struct echo : pants::datagram {
  void on_read(std::string_view data, const pants::endpoint& from) override { write(data, from); }
};

int main() {
  auto channel = std::make_shared<echo>();
  channel->listen(4000);                 // [::]:4000, IPv4 and IPv6
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
