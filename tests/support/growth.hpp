#pragma once
// How a piece of code's cost grows with its input, for tests that claim
// "linear" or "stays fast": the CPU time of run(n * factor) over that of
// run(n), each the fastest of a few tries so that a busy machine does not
// decide. Linear code gives about `factor`; quadratic code factor^2. Tests
// compare the ratio with a bound between the two, which a machine's speed
// does not move (unlike a timed assertion).
#include <algorithm>
#include <cstddef>
#include <ctime>
#include <functional>

namespace newsd::testing_support {

inline double cpu_seconds(const std::function<void()>& work) {
  std::timespec start{}, end{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  work();
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
  return static_cast<double>(end.tv_sec - start.tv_sec) + 1e-9 * static_cast<double>(end.tv_nsec - start.tv_nsec);
}

inline double growth_ratio(const std::function<void(std::size_t)>& run, std::size_t n, std::size_t factor,
                           int tries = 3) {
  auto fastest = [&](std::size_t size) {
    double best = 1e300;
    for (int i = 0; i < tries; ++i) best = std::min(best, cpu_seconds([&] { run(size); }));
    return std::max(best, 1e-6);  // below a microsecond the clock says nothing
  };
  const double small = fastest(n);
  const double large = fastest(n * factor);
  return large / small;
}

}  // namespace newsd::testing_support
