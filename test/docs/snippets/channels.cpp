// docs: hidden {
// The C++ blocks of docs/channels.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <caf/atom.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

// docs: hidden }
// docs: hidden {
namespace block_1 {
struct my_client : pants::client {};
void run() {
// docs: hidden }
auto c = std::make_shared<my_client>();   // a subclass of pants::client
c->connect("example.com", 80);
// ... later, from any thread:
c->close();
// docs: hidden {
}
} // namespace block_1
// docs: hidden }

// docs: hidden {
namespace block_2 {
void run(pants::engine& eng) {
// docs: hidden }
struct my_client : pants::client {
  using pants::client::client;   // my_client(pants::engine&) and my_client()
};
auto c = std::make_shared<my_client>(eng);
// docs: hidden {
  (void)c;
}
} // namespace block_2
// docs: hidden }

// docs: hidden {
namespace block_3 {
void run(std::shared_ptr<pants::client> client, std::shared_ptr<pants::server> server,
         std::shared_ptr<pants::unix_server> unix_srv, std::shared_ptr<pants::datagram> dgram) {
// docs: hidden }
client->connect("example.com", 80);                  // TCP, name resolved off the engine thread
client->connect(pants::unix_path("/run/app.sock"));   // Unix stream
server->listen(4000);                                 // TCP, all interfaces, dual-stack
unix_srv->listen("/run/app.sock");                    // unix_server: a path, or "@name"
dgram->listen(pants::unix_path("@metrics"));          // Unix datagram, abstract name
// docs: hidden {
}
} // namespace block_3
// docs: hidden }

// docs: hidden {
namespace block_4 {
// docs: hidden }
struct line_printer : pants::connection {
  void on_connect() override { read_delimiter("\r\n"); }
  void on_read(std::string_view line) override {
    std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
  }
};
// docs: hidden {
} // namespace block_4
// docs: hidden }

// docs: hidden {
namespace block_5 {
// docs: hidden }
struct length_prefixed : pants::connection {
  void on_connect() override { read_delimiter("\n"); }
  void on_read(std::string_view data) override {
    if (read_delimiter().type() == pants::read_delimiter::kind::bytes) {
      read_delimiter(std::stoul(std::string(data))); // the next frame: exactly that many bytes
    } else {
      write(data); // the body
      read_delimiter("\n");
    }
  }
};
// docs: hidden {
} // namespace block_5
// docs: hidden }

// docs: hidden {
namespace block_6 {
// docs: hidden }
struct file_sender : pants::connection {
  void on_connect() override {
    write("HTTP/1.0 200 OK\r\n\r\n");
    write_file("/etc/hostname");
    end();
  }
};
// docs: hidden {
} // namespace block_6
// docs: hidden }

// docs: hidden {
namespace block_7 {
// docs: hidden }
struct producer : pants::client {
  int blocks_left = 1600; // 100 MiB in 64 KiB blocks
  void on_connect() override { pump(); }
  void on_write() override { pump(); }
  void pump() {
    static const std::string block(64 * 1024, 'x');
    while (blocks_left > 0 && bytes_queued() < 256 * 1024) {
      write(block);
      --blocks_left;
    }
    if (blocks_left == 0)
      end();
  }
};
// docs: hidden {
} // namespace block_7
// docs: hidden }

// docs: hidden {
namespace block_8 {
struct echo : pants::connection {};
void run() {
// docs: hidden }
auto server = std::make_shared<pants::server>([] { return std::make_shared<echo>(); });
server->listen(4000);
// docs: hidden {
}
} // namespace block_8
// docs: hidden }

#include <unistd.h> // ::close

struct limited_server : pants::server {
  using pants::server::server;
  void on_listen() override { std::printf("listening on port %u\n", port()); }
  void on_accept(int fd, const std::string& peer) override {
    if (channels().size() >= 1000) {
      std::fprintf(stderr, "turning away %s\n", peer.c_str());
      ::close(fd);
      return;
    }
    adopt(fd);
  }
};

// docs: hidden {
namespace block_10 {
struct member : pants::connection {
  void on_read(std::string_view line) override {
    std::string message(line);
// docs: hidden }
if (auto srv = server()) // null once the server is gone
  srv->broadcast(message);  // or broadcast(message, this): everyone but the sender
// docs: hidden {
  }
};
} // namespace block_10
// docs: hidden }

// docs: hidden {
namespace block_11 {
struct echo : pants::connection {};
struct my_unix_client : pants::unix_client {};
void run() {
// docs: hidden }
auto server = std::make_shared<pants::unix_server>([] { return std::make_shared<echo>(); });
server->listen("/run/myapp/echo.sock");      // or "@myapp-echo": an abstract name

auto c = std::make_shared<my_unix_client>(); // a subclass of pants::unix_client
c->connect("/run/myapp/echo.sock");
// docs: hidden {
}
} // namespace block_11
// docs: hidden }

// docs: hidden {
namespace block_12 {
caf::behavior make_behavior(pants::stream& self);
void run() {
// docs: hidden }
// a server
auto srv = std::make_shared<pants::server>(pants::behavior_stream::for_server(make_behavior));
// a client
auto c = std::make_shared<pants::behavior_stream>(make_behavior);
c->connect("127.0.0.1", 4000);
// docs: hidden {
  (void)srv;
}
} // namespace block_12
// docs: hidden }

// docs: hidden {
namespace block_13 {
// docs: hidden }
using idle_atom = caf::atom_constant<caf::atom("idle")>;

caf::behavior echo_with_idle_timeout(pants::stream& self) {
  return {
      [&self](pants::connected_msg) {
        caf::delayed_anon_send(self.actor(), std::chrono::seconds(30), idle_atom::value);
      },
      [&self](const pants::read_msg& m) { self.write(m.data); },
      [&self](idle_atom) { self.close(); },
  };
}
// docs: hidden {
} // namespace block_13
// docs: hidden }
