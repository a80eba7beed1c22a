// docs: hidden {
// The binary-layout block of docs/framing.md, compiled (docs_sync_test checks
// that this file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <cstdint>
#include <string_view>

// docs: hidden }
// A game server's position updates: a 2-byte player id, two floats and a
// flags byte, in network order; each is answered with a sequence number.
struct position_server : pants::connection {
  const pants::binary_layout update{"!HffB"}; // 11 bytes: Python's struct.Struct("!HffB")
  const pants::binary_layout ack{"!HI"};

  void on_connect() override { read_delimiter(update); }

  void on_read(std::string_view) override {
    auto [player, x, y, flags] = read_fields().as<std::uint16_t, float, float, std::uint8_t>();
    if (flags & 1)
      moved(player, x, y);
    write_packed(ack, player, ++sequence_); // one 6-byte frame, one write
  }

  void moved(std::uint16_t, float, float) {}
  std::uint32_t sequence_ = 0;
};
