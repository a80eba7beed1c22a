#include "pants/channels/errors.hpp"

#include <cstring>

namespace pants {

os_error::os_error(int code, const std::string& what)
    : std::runtime_error(what + ": " + std::strerror(code)), code_(code) {}

} // namespace pants
