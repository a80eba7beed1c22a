#include "engine/engine.hpp"

#define BOOST_TEST_MODULE engine
#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_CASE(instance_is_the_same_object_every_call) {
  BOOST_TEST(&pants::engine::instance() == &pants::engine::instance());
}
