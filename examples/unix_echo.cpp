// The echo server on a Unix socket: every byte a client sends comes back.
//   unix_echo [path]      (default /tmp/pants-echo.sock; `@name` for an
//                          abstract name; try `nc -U /tmp/pants-echo.sock`)
// A stale socket file left by a crash is replaced; a live one is "in use".
// The socket file is removed on exit (SIGINT or SIGTERM).
#include <pants/pants.hpp>

#include <cstdio>
#include <exception>

struct echo : pants::unix_connection {
  void on_read(std::string_view data) override { write(data); }
};

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "/tmp/pants-echo.sock";
  auto& engine = pants::engine::instance();
  auto server = std::make_shared<pants::unix_server>([] { return std::make_shared<echo>(); });
  try {
    server->listen(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unix_echo: %s\n", e.what());
    return 1;
  }
  std::printf("unix_echo listening on %s\n", server->local_address().c_str());
  std::fflush(stdout);
  pants::stop_on_signals(engine);
  engine.start();
  // Closes the server (which removes the socket file) and its connections,
  // and waits (a second at most) for their on_close.
  pants::shutdown(engine);
}
