// The code the documentation shows is code the suite builds: a ```cpp block
// marked by the line `<!-- PATH -->` right before its fence belongs to the
// file PATH (relative to the source tree), and that file must be exactly the
// blocks marked with it in that page, in order, one blank line apart, once
// its hidden lines are left out: the lines from `// docs: hidden {` to
// `// docs: hidden }`, which give a fragment what it needs to compile (the
// includes, the types it uses, a function around statements). The README and
// every page under docs/ are read, and every C++ block in them must be marked,
// so whatever code a user copies from them compiles.

#define BOOST_TEST_MODULE docs_sync
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& relative) {
  std::ifstream in(std::string(PANTS_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + relative);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The ```cpp blocks of one page, each with its final newline, by the path
/// its marker names ("" for unmarked blocks).
std::map<std::string, std::vector<std::string>> cpp_blocks(const std::string& markdown) {
  std::map<std::string, std::vector<std::string>> blocks;
  std::istringstream in(markdown);
  std::string line, previous;
  while (std::getline(in, line)) {
    if (line == "```cpp") {
      std::string path;
      if (previous.rfind("<!-- ", 0) == 0 && previous.size() > 9 &&
          previous.compare(previous.size() - 4, 4, " -->") == 0)
        path = previous.substr(5, previous.size() - 9);
      std::string block;
      while (std::getline(in, line) && line != "```")
        block += line + "\n";
      blocks[path].push_back(block);
    }
    previous = line;
  }
  return blocks;
}

/// `code` without its hidden regions.
std::string shown(const std::string& code) {
  std::istringstream in(code);
  std::string line, out;
  bool hidden = false;
  while (std::getline(in, line)) {
    if (line == "// docs: hidden {")
      hidden = true;
    else if (line == "// docs: hidden }")
      hidden = false;
    else if (!hidden)
      out += line + "\n";
  }
  return out;
}

std::string joined(const std::vector<std::string>& blocks) {
  std::string out;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    out += (i == 0 ? "" : "\n") + blocks[i];
  return out;
}

/// "line N: <expected> / <actual>" for the first line that differs.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream a(expected), b(actual);
  std::string la, lb;
  for (std::size_t n = 1;; ++n) {
    bool more_a = static_cast<bool>(std::getline(a, la));
    bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b)
      return "none";
    if (!more_a || !more_b || la != lb)
      return "line " + std::to_string(n) + ": page '" + (more_a ? la : "<end>") + "', file '" +
             (more_b ? lb : "<end>") + "'";
  }
}

/// README.md and docs/*.md, relative to the source tree.
std::vector<std::string> pages() {
  std::vector<std::string> out{"README.md"};
  for (const auto& entry : fs::directory_iterator(fs::path(PANTS_SOURCE_DIR) / "docs"))
    if (entry.path().extension() == ".md")
      out.push_back("docs/" + entry.path().filename().string());
  return out;
}

std::size_t marked(const std::string& page, const std::string& path) {
  auto blocks = cpp_blocks(slurp(page));
  auto it = blocks.find(path);
  return it == blocks.end() ? 0 : it->second.size();
}

} // namespace

BOOST_AUTO_TEST_CASE(the_pages_mark_the_code_the_suite_builds) {
  BOOST_TEST(marked("README.md", "test/docs/readme_echo_server.cpp") == 1u);
  BOOST_TEST(marked("README.md", "test/docs/readme_echo_behavior.cpp") == 1u);
  BOOST_TEST(marked("docs/getting-started.md", "examples/echo_server.cpp") == 1u);
  BOOST_TEST(marked("docs/testing.md", "test/docs/testing_guide_test.cpp") >= 6u);
}

BOOST_AUTO_TEST_CASE(every_cpp_block_of_every_page_is_marked) {
  for (const auto& page : pages())
    BOOST_TEST(cpp_blocks(slurp(page)).count("") == 0u, page << " has a C++ block no file holds");
}

BOOST_AUTO_TEST_CASE(every_marked_file_is_exactly_its_pages_code) {
  std::size_t files = 0;
  for (const auto& page : pages()) {
    for (const auto& [path, blocks] : cpp_blocks(slurp(page))) {
      if (path.empty())
        continue;
      ++files;
      auto code = joined(blocks);
      auto file = shown(slurp(path));
      BOOST_TEST(code == file, page << " vs " << path << ": first difference at "
                                    << first_difference(code, file));
    }
  }
  BOOST_TEST(files >= 4u);
}
