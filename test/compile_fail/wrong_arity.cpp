// A timer function that takes an argument, given none.
#include <pants/pants.hpp>

int main() {
#ifdef PANTS_CONTROL
  pants::engine::instance().callback([](int n) { (void)n; }, 42);
#else
  pants::engine::instance().callback([](int n) { (void)n; });
#endif
}
