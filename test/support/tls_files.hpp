#pragma once

// Certificates and keys made at test time with the openssl command line
// (no private key is committed): a test CA, a leaf it signed for
// localhost and 127.0.0.1, a self-signed leaf, an expired leaf, a client
// certificate, and a key that matches none of them. Made once per test
// process, in a directory removed at exit.

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace pants::test {

class tls_files {
public:
  /// The files, made on first use. Throws std::runtime_error when the
  /// openssl command fails.
  static const tls_files& get() {
    static const tls_files files;
    return files;
  }

  std::string dir;
  std::string ca;                    // the CA's certificate
  std::string leaf, leaf_key;        // CN=localhost, SAN localhost and 127.0.0.1, CA-signed
  std::string self_signed, self_key; // CN=localhost, signed by itself
  std::string expired, expired_key;  // CA-signed, expired a day ago
  std::string client, client_key;    // CN=pants-test-client, CA-signed
  std::string stray_key;             // matches no certificate

  tls_files(const tls_files&) = delete;
  ~tls_files() { run("rm -rf '" + dir + "'"); }

private:
  tls_files() {
    char tmpl[] = "/tmp/pants-tls-XXXXXX";
    if (!::mkdtemp(tmpl))
      throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    auto at = [&](const char* name) { return dir + "/" + name; };
    ca = at("ca.pem");
    leaf = at("leaf.pem"), leaf_key = at("leaf.key");
    self_signed = at("self.pem"), self_key = at("self.key");
    expired = at("expired.pem"), expired_key = at("expired.key");
    client = at("client.pem"), client_key = at("client.key");
    stray_key = at("stray.key");
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run("openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj /CN=pants-test-ca");
    sign("leaf", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1", "2", key);
    sign("expired", "/CN=localhost", "subjectAltName=DNS:localhost", "-1", key);
    sign("client", "/CN=pants-test-client", "extendedKeyUsage=clientAuth", "2", key);
    run("openssl req -x509 " + key + " -keyout self.key -out self.pem -days 2 -subj /CN=localhost" +
        " -addext subjectAltName=DNS:localhost");
    run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out stray.key");
  }

  void sign(const std::string& name, const std::string& subject, const std::string& ext,
            const std::string& days, const std::string& key) {
    run("openssl req " + key + " -keyout " + name + ".key -out " + name + ".csr -subj " + subject);
    std::ofstream(dir + "/" + name + ".ext") << ext << "\n";
    run("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -set_serial " +
        std::to_string(++serial_) + " -days " + days + " -extfile " + name + ".ext -out " + name +
        ".pem");
  }

  void run(const std::string& command) const {
    std::string line = "cd '" + dir + "' && " + command + " </dev/null >/dev/null 2>&1";
    if (std::system(line.c_str()) != 0)
      throw std::runtime_error("failed: " + command);
  }

  int serial_ = 0;
};

} // namespace pants::test
