#include <pants/pants.hpp>

struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

int main() {
  auto server = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  server->listen(4000);
  pants::engine::instance().start();
}
