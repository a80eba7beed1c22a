// uv_echo: the libuv baseline for the echo benchmarks (Debian's libuv1-dev).
//
//   uv_echo PORT      (listens on 127.0.0.1:PORT; PORT 0 picks a free port)
//
// One uv_loop on one thread, as libuv's own benchmarks write an echo server: each
// connection reads into a 64 KiB buffer and writes what it read, reading on while the write
// is in flight (libuv copies nothing: the write owns its buffer until its callback).
// Prints "uv_echo listening on 127.0.0.1:<port>" once ready; SIGINT/SIGTERM stop the loop.

#include "server_args.hpp"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::size_t buffer_size = 64 * 1024;

struct write_req {
  uv_write_t req;
  uv_buf_t buf;
};

void on_close(uv_handle_t* h) { std::free(h); }

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  buf->base = static_cast<char*>(std::malloc(buffer_size));
  buf->len = buf->base != nullptr ? buffer_size : 0;
}

void on_written(uv_write_t* req, int) {
  auto* w = reinterpret_cast<write_req*>(req);
  std::free(w->buf.base);
  std::free(w);
}

void on_read(uv_stream_t* client, ssize_t n, const uv_buf_t* buf) {
  if (n > 0) {
    auto* w = static_cast<write_req*>(std::malloc(sizeof(write_req)));
    w->buf = uv_buf_init(buf->base, static_cast<unsigned>(n));
    if (uv_write(&w->req, client, &w->buf, 1, on_written) == 0)
      return; // the write owns the buffer now
    std::free(w);
  } else if (n < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client), on_close); // EOF or error
  }
  std::free(buf->base);
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) {
    std::fprintf(stderr, "accept: %s\n", uv_strerror(status)); // e.g. EMFILE
    return;
  }
  auto* client = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client), on_close);
    return;
  }
  uv_tcp_nodelay(client, 1); // echo replies are small: no Nagle delay
  uv_read_start(reinterpret_cast<uv_stream_t*>(client), on_alloc, on_read);
}

void on_signal(uv_signal_t* s, int) { uv_stop(s->loop); }

void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "uv_echo: %s: %s\n", what, uv_strerror(rc));
    std::exit(1);
  }
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = bench::port_argument(argc, argv);
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  check(uv_tcp_init(loop, &server), "uv_tcp_init");
  sockaddr_in addr{};
  check(uv_ip4_addr("127.0.0.1", port, &addr), "uv_ip4_addr");
  check(uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0), "bind");
  check(uv_listen(reinterpret_cast<uv_stream_t*>(&server), 1024, on_connection), "listen");
  sockaddr_storage bound{};
  int len = sizeof bound;
  check(uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len), "getsockname");
  uv_signal_t sigint, sigterm;
  uv_signal_init(loop, &sigint);
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  std::printf("uv_echo listening on 127.0.0.1:%u\n",
              unsigned{ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)});
  std::fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0; // the open connections go with the process
}
