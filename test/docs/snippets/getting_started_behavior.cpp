// docs: hidden {
// The C++ blocks of docs/getting-started.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
#include <pants/pants.hpp>

int main() {
  auto server = std::make_shared<pants::server>(pants::behavior_stream::for_server(
      [](pants::stream& self) -> caf::behavior {
        return {
            [&self](const pants::read_msg& m) { self.write(m.data); },
        };
      }));
  server->listen(4000);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
