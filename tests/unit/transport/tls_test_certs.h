#pragma once

// A throw-away PKI for TLS tests, made with the openssl CLI in a fresh temporary directory:
// a test CA, a server certificate for localhost/127.0.0.1 and one for another host (both
// signed by the CA), a self-signed server certificate and a client certificate.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tg::tls_testing {

struct TestPki {
  std::filesystem::path dir;
  std::string caCert, caKey;
  std::string serverCert, serverKey;        // localhost, 127.0.0.1; signed by the CA
  std::string otherHostCert, otherHostKey;  // other.example only; signed by the CA
  std::string selfSignedCert, selfSignedKey;
  std::string clientCert, clientKey;  // signed by the CA
  bool ok = false;

  static TestPki create() {
    TestPki p;
    p.dir = std::filesystem::temp_directory_path() /
            ("tg-tls-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(p.dir);
    const std::string d = p.dir.string() + "/";
    auto run = [](const std::string& cmd) {
      return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
    };
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    auto leaf = [&](const std::string& name, const std::string& cn, const std::string& san) {
      return run("openssl req -new " + key + " -keyout " + d + name + ".key -out " + d + name +
                 ".csr -subj /CN=" + cn + " -addext subjectAltName=" + san) &&
             run("openssl x509 -req -in " + d + name + ".csr -CA " + d + "ca.pem -CAkey " + d +
                 "ca.key -CAcreateserial -days 2 -copy_extensions copyall -out " + d + name +
                 ".pem");
    };
    p.ok = run("openssl req -x509 " + key + " -keyout " + d + "ca.key -out " + d +
               "ca.pem -days 2 -subj /CN=tg-test-ca") &&
           leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1") &&
           leaf("other", "other.example", "DNS:other.example") &&
           leaf("client", "pbx-client", "DNS:client.example") &&
           run("openssl req -x509 " + key + " -keyout " + d + "self.key -out " + d +
               "self.pem -days 2 -subj /CN=localhost -addext "
               "subjectAltName=DNS:localhost,IP:127.0.0.1");
    p.caCert = d + "ca.pem";
    p.caKey = d + "ca.key";
    p.serverCert = d + "server.pem";
    p.serverKey = d + "server.key";
    p.otherHostCert = d + "other.pem";
    p.otherHostKey = d + "other.key";
    p.selfSignedCert = d + "self.pem";
    p.selfSignedKey = d + "self.key";
    p.clientCert = d + "client.pem";
    p.clientKey = d + "client.key";
    return p;
  }

  void remove() const {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace tg::tls_testing
