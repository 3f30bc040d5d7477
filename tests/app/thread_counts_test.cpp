// The pools' default sizes (apps/evbroker/thread_counts.hpp) follow the cores the process may run on.

#include <catch2/catch.hpp>

#include <sched.h>

#include "apps/evbroker/thread_counts.hpp"

using evbroker::app::threads_or_cores;
using evbroker::app::usable_cores;

namespace {

/// Runs `fn` with this thread confined to its first allowed core, and gives the affinity back.
template <class Fn>
void on_one_core(Fn fn) {
  cpu_set_t all;
  CPU_ZERO(&all);
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  fn();
  REQUIRE(sched_setaffinity(0, sizeof all, &all) == 0);
}

}  // namespace

TEST_CASE("a node confined to one core runs one thread per pool by default", "[threads]") {
  on_one_core([] {
    CHECK(usable_cores() == 1);
    CHECK(threads_or_cores(0) == 1);
  });
}

TEST_CASE("the default is one thread per core the process may run on", "[threads]") {
  cpu_set_t all;
  CPU_ZERO(&all);
  REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  CHECK(usable_cores() == static_cast<unsigned>(CPU_COUNT(&all)));
  CHECK(threads_or_cores(0) == usable_cores());
}

TEST_CASE("a configured thread count is taken as it is", "[threads]") {
  on_one_core([] { CHECK(threads_or_cores(4) == 4); });
}
