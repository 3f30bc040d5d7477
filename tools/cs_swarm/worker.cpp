#include "tools/cs_swarm/worker.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/post.hpp>

#include "tools/cs_swarm/station.hpp"

namespace evbroker::swarm {
namespace {

constexpr auto kRampTick = std::chrono::milliseconds(5);
constexpr auto kSweepTick = std::chrono::milliseconds(200);

}  // namespace

Worker::Worker(RunContext& run, std::size_t index, double share)
    : run_(run),
      work_(io_.get_executor()),
      rng_(std::random_device{}() + index),
      ramp_timer_(io_),
      sweep_timer_(io_),
      ramp_rate_(run.options.ramp * share),
      max_connecting_(std::max<std::size_t>(
          1, static_cast<std::size_t>(std::ceil(static_cast<double>(run.options.max_connecting) * share)))) {}

Worker::~Worker() {
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

void Worker::add_station(std::size_t global_index) {
  stations_.push_back(std::make_unique<Station>(*this, run_, global_index));
}

std::shared_ptr<Link> Worker::make_link(LinkEvents& events) {
  if (run_.target.tls) return make_tls_link(io_, *run_.target.tls, events);
  return make_plain_link(io_, events);
}

void Worker::start() {
  boost::asio::post(io_, [this] {
    ramp_start_ = Clock::now();
    ramp_tick();
    sweep_tick();
  });
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::ramp_tick() {
  // First attempts allowed so far by the rate (all of them when unlimited), and never more
  // attempts in flight than this worker's share of --max-connecting (reconnects included).
  std::size_t allowed = stations_.size();
  if (ramp_rate_ > 0) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - ramp_start_).count();
    allowed = std::min(allowed, static_cast<std::size_t>(ramp_rate_ * elapsed) + 1);
  }
  while (started_ < allowed && connecting_ < max_connecting_) stations_[started_++]->connect();
  if (started_ < stations_.size()) {
    ramp_timer_.expires_after(kRampTick);
    ramp_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) ramp_tick();
    });
  }
}

void Worker::sweep_tick() {
  const auto now = Clock::now();
  for (auto& station : stations_) station->check_timeout(now);
  sweep_timer_.expires_after(kSweepTick);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sweep_tick();
  });
}

void Worker::storm() {
  boost::asio::post(io_, [this] {
    for (auto& station : stations_) station->drop_and_reconnect();
  });
}

void Worker::stop() {
  boost::asio::post(io_, [this] {
    ramp_timer_.cancel();
    started_ = stations_.size();
    for (auto& station : stations_) station->begin_stop();
  });
}

void Worker::join() {
  boost::asio::post(io_, [this] {
    sweep_timer_.cancel();
    work_.reset();
    io_.stop();  // polite closes still pending are dropped; the server sees the sockets go
  });
  if (thread_.joinable()) thread_.join();
}

}  // namespace evbroker::swarm
