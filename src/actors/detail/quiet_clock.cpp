#include "pants/actors/detail/quiet_clock.hpp"

namespace pants::detail {

void quiet_clock::note(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard(mtx_);
  timed_.insert(self);
}

void quiet_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                       caf::atom_value type, uint64_t id) {
  note(self);
  inner_.set_ordinary_timeout(t, self, type, id);
}

void quiet_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                    uint64_t id) {
  note(self);
  inner_.set_multi_timeout(t, self, type, id);
}

void quiet_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  note(self);
  inner_.set_request_timeout(t, self, id);
}

void quiet_clock::cancel_timeouts(caf::abstract_actor* self) {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (timed_.erase(self) == 0)
      return; // never set one: nothing for CAF's clock thread to do
  }
  ++forwarded_;
  inner_.cancel_timeouts(self);
}

} // namespace pants::detail
