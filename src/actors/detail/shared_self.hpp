#pragma once

#include "pants/channels/errors.hpp"

#include <memory>
#include <string>

namespace pants::detail {

/// `self` as a shared_ptr (the library keeps channels and servers alive
/// through it), or a state_error naming the fix when nothing owns it: made
/// on the stack, or with `new`. `kind` is "channel" or "server".
template <class T> std::shared_ptr<T> shared_self(T& self, const char* kind) {
  if (auto owned = self.weak_from_this().lock())
    return owned;
  throw state_error(std::string("pants: a ") + kind +
                    " must be made with std::make_shared (auto c = std::make_shared<your_" + kind +
                    ">(...)); this one is not owned by a std::shared_ptr (it is on the " +
                    "stack, or was made with new)");
}

} // namespace pants::detail
