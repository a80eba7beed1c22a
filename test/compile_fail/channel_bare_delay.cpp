// A channel timer given a bare number as its interval.
#include <pants/pants.hpp>

#include <chrono>

struct pinger : pants::connection {
  void on_connect() override {
    using namespace std::chrono_literals;
#ifdef PANTS_CONTROL
    cycle(5s, [this] { write("ping\n"); });
#else
    cycle(5, [this] { write("ping\n"); });
#endif
  }
};

int main() { return 0; }
