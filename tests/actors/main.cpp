// The CAF unit-test runner's main() for the actor tests.
#include <caf/test/unit_test_impl.hpp>
