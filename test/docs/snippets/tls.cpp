// docs: hidden {
// The C++ block of docs/tls.md, compiled (docs_sync_test checks that this
// file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <memory>

struct echo : pants::connection {
  void on_read(std::string_view d) override { write(d); }
};
struct my_client : pants::client {};

void tls_setup() {
// docs: hidden }
// A server: every accepted connection does its handshake, then on_connect.
auto srv = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
pants::tls_options o;
o.certificate_chain_file = "cert.pem";
o.private_key_file = "key.pem";
srv->tls(o);            // tls_config_error here, with OpenSSL's reason, if the files are wrong
srv->listen(4443);

// A client: TLS before connecting; on_tls_handshake, then on_connect.
auto c = std::make_shared<my_client>();
c->start_tls();         // verifies the server against the system's CAs and the host name
c->connect("example.org", 443);
// docs: hidden {
}
// docs: hidden }
