// docs/testing.md and test/docs/testing_guide_test.cpp stay in sync: the
// test file is exactly the guide's marked code blocks, in order, one blank
// line apart. A block is marked by the line `<!-- test/docs/testing_guide_test.cpp -->`
// right before its "```cpp" fence.

#define BOOST_TEST_MODULE testing_guide_sync
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

const std::string marker = "<!-- test/docs/testing_guide_test.cpp -->";

std::string slurp(const std::string& relative) {
  std::ifstream in(std::string(PANTS_SOURCE_DIR) + "/" + relative, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + relative);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The marked ```cpp blocks of `markdown`, each with its final newline.
std::vector<std::string> marked_blocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line, previous;
  while (std::getline(in, line)) {
    if (line == "```cpp" && previous == marker) {
      std::string block;
      while (std::getline(in, line) && line != "```")
        block += line + "\n";
      blocks.push_back(block);
    }
    previous = line;
  }
  return blocks;
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
      return "line " + std::to_string(n) + ": guide '" + (more_a ? la : "<end>") + "', file '" +
             (more_b ? lb : "<end>") + "'";
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(the_guide_marks_its_examples) {
  BOOST_TEST(marked_blocks(slurp("docs/testing.md")).size() >= 6u);
}

BOOST_AUTO_TEST_CASE(the_test_file_is_exactly_the_guides_marked_code) {
  auto guide = joined(marked_blocks(slurp("docs/testing.md")));
  auto file = slurp("test/docs/testing_guide_test.cpp");
  BOOST_TEST(guide == file, "first difference at " << first_difference(guide, file));
}
