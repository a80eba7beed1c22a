#include "pants/engine/backend.hpp"

#include "pants/engine/epoll_backend.hpp"
#include "pants/engine/poll_backend.hpp"
#include "pants/engine/select_backend.hpp"

#include <cstdlib>
#include <stdexcept>

namespace pants {

std::unique_ptr<backend> backend::make(const std::string& name) {
  std::string chosen = name;
  if (chosen.empty()) {
    const char* env = std::getenv("PANTS_BACKEND");
    chosen = env != nullptr && *env != '\0' ? env : "epoll";
  }
  if (chosen == "epoll")
    return std::make_unique<epoll_backend>();
  if (chosen == "poll")
    return std::make_unique<poll_backend>();
  if (chosen == "select")
    return std::make_unique<select_backend>();
  throw std::invalid_argument("pants: unknown backend '" + chosen +
                              "' (expected epoll, poll or select)");
}

} // namespace pants
