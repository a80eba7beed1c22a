// docs: hidden {
// The C++ blocks of docs/overview.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
// docs: hidden {
#include <pants/pants.hpp>

void run() {
// docs: hidden }
pants::runtime_options options;
options.workers = 4;            // worker threads running handlers
options.scheduler = "sharing";  // or "stealing"
pants::configure(options);      // before the first connect() or listen()
// docs: hidden {
}
// docs: hidden }
