// docs: hidden {
// The C++ blocks of docs/timers.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
#include <pants/pants.hpp>
using namespace std::chrono_literals;
// docs: hidden {

#include <cstdio>

int main() {
// docs: hidden }

auto& engine = pants::engine::instance();
engine.callback([] { std::puts("soon"); });
auto tick = engine.cycle(1s, [](const char* what) { std::puts(what); }, "tick");
engine.defer(10s, [tick] { tick.cancel(); });   // stop the cycle after ten seconds
engine.start();
// docs: hidden {
}
// docs: hidden }
