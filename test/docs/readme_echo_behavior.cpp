#include <pants/pants.hpp>

int main() {
  auto server = std::make_shared<pants::server>(
      pants::behavior_stream::for_server([](pants::stream& self) -> caf::behavior {
        return {[&self](const pants::read_msg& m) { self.write(m.data); }};
      }));
  server->listen(4000);
  pants::engine::instance().start();
}
