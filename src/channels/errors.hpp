#pragma once

#include <stdexcept>
#include <string>

namespace pants {

/// A call made in a state that does not allow it: writing before connect or
/// after close, listening twice, connecting a channel twice. Nothing changed.
class state_error : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// A malformed or unusable address: bad port, bad numeric host, empty host,
/// a Unix path longer than the platform allows. Nothing changed.
class address_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// The operating system refused a call made synchronously (bind, listen,
/// socket). `code()` is the errno value. Nothing changed.
class os_error : public std::runtime_error {
public:
  os_error(int code, const std::string& what);
  int code() const noexcept { return code_; }

private:
  int code_;
};

} // namespace pants
