// A server that caps its connections: past the cap, a client is told it is
// busy and turned away at once, instead of being accepted and starved.
#include <pants/pants.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

class capped_server : public pants::server {
public:
  capped_server(factory make, std::size_t cap) : pants::server(std::move(make)), cap_(cap) {}

private:
  void on_accept(int fd, const std::string&) override {
    if (channels().size() >= cap_) {
      static const char busy[] = "busy, try again later\n";
      // Best effort, never blocking: the descriptor is closed right after.
      [[maybe_unused]] auto sent = ::send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      ::close(fd);
      return;
    }
    adopt(fd); // the factory's channel, with its own actor
  }

  std::size_t cap_;
};

int main() {
  auto srv = std::make_shared<capped_server>([] { return std::make_shared<echo>(); }, 1000);
  srv->listen(4000);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
