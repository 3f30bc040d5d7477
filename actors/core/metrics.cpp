#include "actors/core/metrics.hpp"

#include <cstdio>

#include "actors/core/station_directory.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"
#include "protocol/ocpp21/actions.hpp"
#include "storage/group_commit.hpp"

namespace evbroker::actors {
namespace {

constexpr std::array<ocpp::Version, 3> kAllVersions = {ocpp::Version::v16, ocpp::Version::v201, ocpp::Version::v21};

std::size_t action_count(ocpp::Version v) {
  switch (v) {
    case ocpp::Version::v16: return ocpp16::kActionCount;
    case ocpp::Version::v201: return ocpp201::kActionCount;
    case ocpp::Version::v21: return ocpp21::kActionCount;
  }
  return 0;
}

std::string_view action_name(ocpp::Version v, std::size_t i) {
  switch (v) {
    case ocpp::Version::v16: return ocpp16::to_string(static_cast<ocpp16::Action>(i));
    case ocpp::Version::v201: return ocpp201::to_string(static_cast<ocpp201::Action>(i));
    case ocpp::Version::v21: return ocpp21::to_string(static_cast<ocpp21::Action>(i));
  }
  return {};
}

constexpr std::array<std::string_view, static_cast<std::size_t>(UpgradeOutcome::count_)> kUpgradeNames = {
    "accepted",  "bad_path", "unknown_station", "bad_credentials", "wrong_profile", "no_subprotocol",
    "throttled", "shed",     "timed_out"};
constexpr std::array<std::string_view, static_cast<std::size_t>(CsmsCallOutcome::count_)> kCsmsCallNames = {
    "result",     "call_error", "invalid_response", "timeout", "disconnected",
    "queue_full", "not_sent",   "not_allowed",      "unknown"};

void line(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

void Metrics::station_call(ocpp::Version version, std::size_t action, MessageOutcome outcome, double seconds) {
  auto v = static_cast<std::size_t>(version);
  if (v < kVersions && action < kMaxActions)
    messages_[v][action][static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  std::size_t bucket = 0;
  while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::upgrade(UpgradeOutcome outcome) {
  upgrades_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::csms_call(CsmsCallOutcome outcome) {
  csms_calls_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const StationDirectory& directory, const storage::CommitStats& store) const {
  std::string out;
  out.reserve(8192);

  header(out, "evbroker_connections", "gauge", "Open station connections by OCPP version.");
  for (auto v : kAllVersions)
    line(out, "evbroker_connections", "protocol=\"" + std::string(ocpp::subprotocol(v)) + "\"", directory.count(v));

  header(out, "evbroker_upgrades_total", "counter", "Websocket upgrade requests by outcome.");
  for (std::size_t i = 0; i < upgrades_.size(); ++i)
    line(out, "evbroker_upgrades_total", "outcome=\"" + std::string(kUpgradeNames[i]) + "\"",
         upgrades_[i].load(std::memory_order_relaxed));

  header(out, "evbroker_station_messages_total", "counter",
         "CALLs received from stations and answered, by protocol, action and outcome.");
  for (auto v : kAllVersions) {
    auto vi = static_cast<std::size_t>(v);
    for (std::size_t a = 0; a < action_count(v) && a < kMaxActions; ++a) {
      for (std::size_t o = 0; o < static_cast<std::size_t>(MessageOutcome::count_); ++o) {
        auto n = messages_[vi][a][o].load(std::memory_order_relaxed);
        if (n == 0) continue;
        std::string labels = "protocol=\"" + std::string(ocpp::subprotocol(v)) + "\",action=\"" +
                             std::string(action_name(v, a)) + "\",outcome=\"" + (o == 0 ? "ok" : "call_error") + "\"";
        line(out, "evbroker_station_messages_total", labels, n);
      }
    }
  }

  header(out, "evbroker_frames_rejected_total", "counter",
         "Station frames refused before reaching a handler (malformed, unknown action, schema violation).");
  line(out, "evbroker_frames_rejected_total", "", frames_rejected_.load(std::memory_order_relaxed));
  header(out, "evbroker_station_budget_refusals_total", "counter",
         "Station messages not stored because the station's storage budget was full (refused or, for an unknown "
         "StopTransaction, acknowledged without its review record).");
  line(out, "evbroker_station_budget_refusals_total", "", budget_refusals_.load(std::memory_order_relaxed));

  header(out, "evbroker_station_call_latency_seconds", "histogram",
         "Time from receiving a station CALL to queueing its answer (durable writes included).");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += latency_buckets_[i].load(std::memory_order_relaxed);
    line(out, "evbroker_station_call_latency_seconds_bucket", "le=\"" + format_seconds(kLatencyBounds[i]) + "\"",
         cumulative);
  }
  cumulative += latency_buckets_.back().load(std::memory_order_relaxed);
  line(out, "evbroker_station_call_latency_seconds_bucket", "le=\"+Inf\"", cumulative);
  out.append("evbroker_station_call_latency_seconds_sum ")
      .append(format_seconds(static_cast<double>(latency_sum_micros_.load(std::memory_order_relaxed)) / 1e6))
      .append("\n");
  line(out, "evbroker_station_call_latency_seconds_count", "", latency_count_.load(std::memory_order_relaxed));

  header(out, "evbroker_csms_calls_total", "counter", "CALLs sent to stations (management API, settings) by outcome.");
  for (std::size_t i = 0; i < csms_calls_.size(); ++i)
    line(out, "evbroker_csms_calls_total", "outcome=\"" + std::string(kCsmsCallNames[i]) + "\"",
         csms_calls_[i].load(std::memory_order_relaxed));

  header(out, "evbroker_store_commits_total", "counter", "LMDB commits (each one fsync).");
  line(out, "evbroker_store_commits_total", "", store.commits);
  header(out, "evbroker_store_operations_total", "counter", "Write operations committed (sum of group sizes).");
  line(out, "evbroker_store_operations_total", "", store.operations);
  header(out, "evbroker_store_failed_operations_total", "counter", "Write operations that failed.");
  line(out, "evbroker_store_failed_operations_total", "", store.failed_operations);
  header(out, "evbroker_store_max_group_size", "gauge", "Largest number of operations in one commit so far.");
  line(out, "evbroker_store_max_group_size", "", store.max_batch);
  header(out, "evbroker_store_queued_operations", "gauge", "Write operations waiting for the next commit.");
  line(out, "evbroker_store_queued_operations", "", store.queued);
  header(out, "evbroker_store_commit_seconds", "histogram", "LMDB commit latency (fsync included).");
  cumulative = 0;
  for (std::size_t i = 0; i < std::size(storage::CommitStats::kBucketsMicros); ++i) {
    cumulative += store.buckets[i];
    line(out, "evbroker_store_commit_seconds_bucket",
         "le=\"" + format_seconds(static_cast<double>(storage::CommitStats::kBucketsMicros[i]) / 1e6) + "\"",
         cumulative);
  }
  cumulative += store.buckets[std::size(storage::CommitStats::kBucketsMicros)];
  line(out, "evbroker_store_commit_seconds_bucket", "le=\"+Inf\"", cumulative);
  out.append("evbroker_store_commit_seconds_sum ")
      .append(format_seconds(static_cast<double>(store.commit_micros) / 1e6))
      .append("\n");
  line(out, "evbroker_store_commit_seconds_count", "", store.commits);
  return out;
}

}  // namespace evbroker::actors
