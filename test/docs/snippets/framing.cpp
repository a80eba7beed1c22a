// docs: hidden {
// The C++ blocks of docs/framing.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <string>
#include <string_view>

// docs: hidden }
// A line protocol whose "BLOB" command is followed by length-prefixed
// binary frames, up to an empty one; then lines again.
struct blob_server : pants::connection {
  void on_connect() override { read_delimiter("\r\n"); }

  void on_read(std::string_view frame) override {
    if (read_delimiter().type() == pants::read_delimiter::kind::length) {
      if (frame.empty()) { // the end of the blobs
        read_delimiter("\r\n");
        write("OK\r\n");
      } else {
        stored_ += frame; // a whole blob: never more than max_frame bytes
      }
    } else if (frame == "BLOB") {
      // 2-byte big-endian lengths, at most 4096 bytes each. The change
      // applies at once to the bytes already buffered behind this line.
      read_delimiter(pants::length_prefix(2, 4096));
    } else if (frame == "SIZE") {
      write(std::to_string(stored_.size()) + "\r\n");
    }
  }

  // A peer that claims more than 4096 bytes is refused at its header.
  void on_overflow_error(const pants::net_error& e) override {
    write(std::string("ERR ") + e.what() + "\r\n");
    end();
  }

  std::string stored_;
};
