// The handler of examples/idle_timeout.cpp: an echo connection that closes
// itself after `limit` without input, telling the client first. The limit
// is the channel's own idle timeout, which runs on its engine's clock: real
// time in the server, virtual time under the mock engine (the tests of
// docs/testing.md drive it).
#pragma once

#include <pants/pants.hpp>

#include <chrono>
#include <string_view>

struct idle_echo : pants::connection {
  explicit idle_echo(std::chrono::milliseconds limit,
                     pants::engine& eng = pants::engine::instance())
      : pants::connection(eng) {
    set_idle_timeout(limit); // counts from the connection; each read restarts it
  }

  void on_read(std::string_view data) override { write(data); }

  // Instead of the default (close at once): tell the client, then close.
  void on_idle(pants::idle_kind) override {
    write("idle timeout\n");
    end(); // flush the notice, then close
  }
};
