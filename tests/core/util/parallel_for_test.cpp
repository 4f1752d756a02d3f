// parallel_for: every index exactly once, whatever the thread count; the first exception reaches the caller after
// every thread has stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "util/parallel_for.hpp"

using namespace moescope;

TEST(ParallelFor, RunsEveryIndexOnce) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    parallel_for(n, [&](std::size_t i) { ++hits[i]; });
    for (std::size_t i = 0; i < n; ++i)
      EXPECT_EQ(hits[i].load(), 1) << n << " " << i;
  }
}

TEST(ParallelFor, RethrowsAndStillRunsTheOtherIndices) {
  std::atomic<int> done{0};
  EXPECT_THROW(parallel_for(50,
                            [&](std::size_t i) {
                              if (i == 7) throw std::runtime_error("seven");
                              ++done;
                            }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 49);
}
