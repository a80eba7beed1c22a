// docs: hidden {
// The C++ blocks of docs/design-engine-actor-contract.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
// docs: hidden {
#include <cstdlib>
#include <thread>

struct runtime_holder {
  void shutdown();
};
runtime_holder* holder = nullptr;

void run() {
// docs: hidden }
std::atexit([] { std::thread([] { holder->shutdown(); }).join(); });
// docs: hidden {
}
// docs: hidden }
