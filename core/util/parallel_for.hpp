#pragma once
// Runs f(0) ... f(n - 1) on up to hardware_concurrency threads (the calling thread is one of them), each index once,
// in no particular order; the first exception thrown is rethrown after every thread has finished. For independent,
// deterministic pieces of work whose results go to slots of their own, so the outcome does not depend on threads.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace moescope {

template <class F> void parallel_for(std::size_t n, F&& f) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < n;) {
      try {
        f(i);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const std::size_t threads =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::max<std::size_t>(n, 1));
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool)
    t.join();
  if (failure) std::rethrow_exception(failure);
}

} // namespace moescope
