#pragma once
// One I/O thread of the swarm: its own io_context (so a station's handlers never need a strand or
// a lock), the stations assigned to it, their statistics, the ramp that opens their first
// connections at the requested rate, and the sweep that finds CALLs without an answer.

#include <cstddef>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tools/cs_swarm/link.hpp"
#include "tools/cs_swarm/run_context.hpp"
#include "tools/cs_swarm/stats.hpp"

namespace evbroker::swarm {

class Station;

class Worker {
 public:
  /// `share` of the ramp rate and of --max-connecting goes to this worker.
  Worker(RunContext& run, std::size_t index, double share);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void add_station(std::size_t global_index);
  /// Starts the thread; the ramp begins at once.
  void start();
  /// From the main thread: every connected station drops and reconnects (the storm).
  void storm();
  /// From the main thread: stop the ramp, let stations finish their CALL and close.
  void stop();
  /// From the main thread, after stop(): ends the thread (whatever is still open is dropped).
  void join();

  boost::asio::io_context& io() { return io_; }
  ThreadStats& stats() { return stats_; }
  const ThreadStats& stats() const { return stats_; }
  std::mt19937_64& rng() { return rng_; }
  std::shared_ptr<Link> make_link(LinkEvents& events);
  void connecting_started() { ++connecting_; }
  void connecting_finished() { --connecting_; }

 private:
  void ramp_tick();
  void sweep_tick();

  RunContext& run_;
  boost::asio::io_context io_{1};  // a hint: one thread runs it (posting from others stays safe)
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  ThreadStats stats_;
  std::mt19937_64 rng_;
  boost::asio::steady_timer ramp_timer_;
  boost::asio::steady_timer sweep_timer_;
  std::vector<std::unique_ptr<Station>> stations_;  // after io_: destroyed before it
  std::size_t started_ = 0;
  std::size_t connecting_ = 0;
  const double ramp_rate_;  // first attempts per second; 0: unlimited
  const std::size_t max_connecting_;
  Clock::time_point ramp_start_{};
  std::thread thread_;
};

}  // namespace evbroker::swarm
