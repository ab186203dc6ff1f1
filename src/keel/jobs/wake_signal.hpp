// keel/jobs/wake_signal.hpp — how enqueue wakes this process's idle workers (internal to keel::jobs).
//
// Workers poll the table every poll interval; enqueue() bumps a process-wide
// generation so idle workers poll at once instead. A worker reads the
// generation *before* it polls, then waits for it to change, so an enqueue
// between its poll and its wait is never missed.
//
//   const std::uint64_t seen = wake_signal().generation();
//   if (!claim(...)) wake_signal().wait(seen, poll_interval, [&] { return stopping_.load(); });
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace keel::jobs::detail {

// WakeSignal is a generation counter with a condition variable.
class WakeSignal {
 public:
  // generation is the number of notifications so far.
  std::uint64_t generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }
  // notify wakes every waiter.
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    changed_.notify_all();
  }
  // wait returns when the generation moved past `seen`, `stop()` is true, or `timeout` passed.
  void wait(std::uint64_t seen, std::chrono::milliseconds timeout, const std::function<bool()>& stop) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return generation_ != seen || stop(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 0;
};

// wake_signal is the process's one signal, shared by enqueue and every JobRunner.
WakeSignal& wake_signal();

}  // namespace keel::jobs::detail
