// pants_heavy_echo: the echo server with a CPU-heavy handler, for the worker-scaling scenario.
//
//   PANTS_WORKERS=N pants_heavy_echo PORT      (PORT 0 picks a free port)
//
// Each on_read burns BENCH_BURN_US (default 100) microseconds of its thread's CPU time before
// echoing: the load the actor model spreads over CAF's workers. Prints "listening on port
// <port>"; SIGINT/SIGTERM stop it.

#include "server_args.hpp"

#include <pants/pants.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace {

long burn_ns() {
  const char* env = std::getenv("BENCH_BURN_US");
  return (env != nullptr ? std::atol(env) : 100) * 1000;
}

long thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

struct heavy_echo : pants::connection {
  void on_read(std::string_view data) override {
    static const long burn = burn_ns();
    // Thread CPU time, not wall time: a handler preempted meanwhile still does all its work.
    for (long until = thread_cpu_ns() + burn; thread_cpu_ns() < until;) {
    }
    write(data);
  }
};

} // namespace

int main(int argc, char** argv) {
  auto port = bench::port_argument(argc, argv);
  auto server = std::make_shared<pants::server>([] { return std::make_shared<heavy_echo>(); });
  server->listen(port);
  std::printf("pants_heavy_echo listening on port %u\n", server->port());
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
