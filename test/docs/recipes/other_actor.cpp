// A handler that talks to another actor: every line a client sends is
// counted by one shared CAF actor, and the running total comes back to the
// channel's own actor as a message, never blocking a handler while it waits.
#include <pants/pants.hpp>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <cstdint>
#include <memory>
#include <string>

using count_atom = caf::atom_constant<caf::atom("count")>;

/// The shared counter: adds what it is sent and answers with the total.
caf::behavior counter() {
  auto total = std::make_shared<std::int64_t>(0);
  return {[total](count_atom, std::int64_t bytes) { return *total += bytes; }};
}

int main() {
  auto tally = pants::actor_system().spawn(counter);
  auto srv = std::make_shared<pants::server>(
      pants::behavior_stream::for_server([tally](pants::stream& self) -> caf::behavior {
        return {
            [&self](pants::connected_msg) { self.read_delimiter("\n"); },
            [&self, tally](const pants::read_msg& m) {
              // Sent as the channel's actor, so the counter's answer comes
              // back to it and lands in the handler below, in this channel.
              caf::send_as(self.actor(), tally, count_atom::value,
                           static_cast<std::int64_t>(m.data.size()));
            },
            [&self](std::int64_t total) {
              self.write("bytes counted so far: " + std::to_string(total) + "\n");
            },
        };
      }));
  srv->listen(4000);
  pants::stop_on_signals(pants::engine::instance());
  pants::engine::instance().start();
}
