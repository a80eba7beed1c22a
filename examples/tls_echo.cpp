// The echo server over TLS: every byte a client sends comes straight back,
// encrypted. Each accepted connection does its handshake first (OpenSSL 3).
//   tls_echo PORT CERT_FILE KEY_FILE     (PORT 0 for any free port)
// A throwaway certificate, and a client that trusts it:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1
//       -subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout key.pem -out cert.pem
//       (one command)
//   tls_echo 4433 cert.pem key.pem
//   tls_client localhost 4433 cert.pem          (or: openssl s_client -connect localhost:4433)
#include <pants/pants.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>

struct echo : pants::connection {
  void on_read(std::string_view data) override { write(data); }
};

int main(int argc, char** argv) {
  char* end = nullptr;
  long port = argc == 4 ? std::strtol(argv[1], &end, 10) : -1;
  if (argc != 4 || end == argv[1] || *end != '\0' || port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: %s PORT CERT_FILE KEY_FILE   (PORT 0 to 65535)\n", argv[0]);
    return 2;
  }
  auto server = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
  pants::tls_options tls;
  tls.certificate_chain_file = argv[2];
  tls.private_key_file = argv[3];
  try {
    server->tls(tls); // loads and checks the files now, with OpenSSL's reason if they are wrong
  } catch (const pants::tls_config_error& e) {
    std::fprintf(stderr, "tls_echo: %s\n", e.what());
    return 2;
  }
  server->listen(port);
  std::printf("tls echo server listening on port %u\n", server->port());
  std::fflush(stdout);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
