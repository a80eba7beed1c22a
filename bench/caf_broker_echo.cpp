// caf_broker_echo: CAF 0.17's own I/O layer as a baseline for the echo benchmarks.
//
//   caf_broker_echo PORT      (PORT 0 picks a free port)
//
// One caf::io::broker, spawned by the middleman as a server, handles every connection on the
// middleman's multiplexer thread (brokers run there, inline with the I/O): at-most-64-KiB
// reads, each echoed with write + flush. This is what a CAF user writes without Pants.
// Prints "caf_broker_echo listening on port <port>" once ready; SIGINT/SIGTERM stop it.

#include "server_args.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <pthread.h>

namespace {

caf::behavior echo_server(caf::io::broker* self) {
  return {
      [=](const caf::io::new_connection_msg& m) {
        self->configure_read(m.handle, caf::io::receive_policy::at_most(64 * 1024));
      },
      [=](const caf::io::new_data_msg& m) {
        self->write(m.handle, m.buf.size(), m.buf.data());
        self->flush(m.handle);
      },
      [](const caf::io::connection_closed_msg&) {},
      [](const caf::io::acceptor_closed_msg&) {},
  };
}

} // namespace

int main(int argc, char** argv) {
  std::uint16_t port = bench::port_argument(argc, argv);
  // Blocked in every thread CAF starts from here on; main waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto server = sys.middleman().spawn_server(echo_server, port);
  if (!server) {
    std::fprintf(stderr, "caf_broker_echo: cannot listen: %s\n", to_string(server.error()).c_str());
    return 1;
  }
  std::printf("caf_broker_echo listening on port %u\n", unsigned{port});
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  caf::anon_send_exit(*server, caf::exit_reason::user_shutdown);
  return 0;
}
