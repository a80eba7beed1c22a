// An engine timer given a bare number as its delay.
#include <pants/pants.hpp>

#include <chrono>

int main() {
  using namespace std::chrono_literals;
#ifdef PANTS_CONTROL
  pants::engine::instance().defer(5s, [] {});
#else
  pants::engine::instance().defer(5, [] {});
#endif
}
