// docs: hidden {
// The regular-expression block of docs/framing.md, compiled (docs_sync_test
// checks that this file, without its hidden lines, is exactly the page's code).

#include <pants/pants.hpp>

#include <map>
#include <string>
#include <string_view>

// docs: hidden }
// "SET key 5\r\nhello" stores five bytes under "key"; "GET key\r\n" answers
// with them. Commands are matched, with their groups; values are counted.
struct store_server : pants::connection {
  const pants::regex command{R"(([A-Z]+) (\w+)(?: (\d{1,6}))?\r\n)", pants::regex_mode::match};

  void on_connect() override { read_delimiter(command); }

  void on_read(std::string_view frame) override {
    if (read_delimiter().type() == pants::read_delimiter::kind::count) {
      values_[key_] = std::string(frame); // the value's bytes, exactly
      read_delimiter(command);
      return write("STORED\r\n");
    }
    auto g = read_groups(); // [0] the whole line, [1] the verb, [2] the key, [3] the size
    key_ = std::string(g[2]);
    auto size = g.matched(3) ? std::stoul(std::string(g[3])) : 0;
    if (g[1] == "SET" && size > 0)
      read_delimiter(size); // applies at once to the bytes already buffered
    else if (g[1] == "GET")
      write(values_[key_] + "\r\n");
    else
      write("ERROR\r\n");
  }

  // Bytes that cannot begin a command: the frames before them were served.
  void on_overflow_error(const pants::net_error& e) override {
    write(std::string("CLIENT_ERROR ") + e.what() + "\r\n");
    end();
  }

  std::map<std::string, std::string> values_;
  std::string key_;
};
