// bench_store: how many durable writes per second the store takes through group commit, and how long
// a writer waits for its acknowledgment.
//
//   build/bin/bench_store [--threads N] [--seconds S] [--value-bytes B] [--max-batch N] [--no-sync]
//                         [--dir DIR] [--json FILE]
//
// N writer threads stand for N concurrent charge stations. Each submits one operation at a time and
// waits for its completion before the next (closed loop, like a station waiting for its CALLRESULT):
// the operation stores a TransactionEvent-sized meter value (~1 KB of JSON with 10 sampled values)
// under station\0transaction\0seq and updates the transaction's record, as the transactions handler
// will. With sync on (the default) every commit is fsynced; --no-sync shows what the disk costs.
//
// Figures: operations and commits per second, the average batch (operations per commit), the commit
// time (mdb_txn_commit including fsync; p50/p99 read from the store's histogram, so they are bucket
// upper bounds) and the acknowledgment latency a writer sees (submit to completion, exact).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/json_writer.hpp"
#include "storage/group_commit.hpp"
#include "storage/lmdb_store.hpp"

namespace {

using namespace evbroker;
using Clock = std::chrono::steady_clock;

struct Options {
  unsigned threads = 64;
  double seconds = 5;
  std::size_t value_bytes = 1024;
  std::size_t max_batch = storage::GroupCommitOptions{}.max_batch;
  bool sync = true;
  std::string dir;
  std::string json_path;
};

/// A 2.0.1 TransactionEvent (Updated, 10 sampled values) as the node would store it, padded or cut
/// to `bytes` so that the value size is what was asked for.
std::string meter_value_json(std::uint64_t seq, std::size_t bytes) {
  static const char* measurands[] = {"Energy.Active.Import.Register",
                                     "Power.Active.Import",
                                     "Current.Import",
                                     "Current.Import",
                                     "Current.Import",
                                     "Voltage",
                                     "Voltage",
                                     "Voltage",
                                     "SoC",
                                     "Frequency"};
  static const char* phases[] = {nullptr, nullptr, "L1", "L2", "L3", "L1-N", "L2-N", "L3-N", nullptr, nullptr};
  static const char* units[] = {"Wh", "W", "A", "A", "A", "V", "V", "V", "Percent", nullptr};
  static const char* values[] = {"48213.5", "11040", "16.02", "15.98", "16.1",
                                 "230.4",   "229.8", "231.1", "57",    "50.01"};
  std::string s =
      R"({"seqNo":)" + std::to_string(seq) +
      R"(,"timestamp":"2024-05-01T12:35:00.000Z","meterValue":[{"timestamp":"2024-05-01T12:35:00.000Z","sampledValue":[)";
  for (int i = 0; i < 10; ++i) {
    if (i) s += ',';
    s += R"({"value":)";
    s += values[i];
    s += R"(,"context":"Sample.Periodic","measurand":")";
    s += measurands[i];
    s += '"';
    if (phases[i]) s += std::string(R"(,"phase":")") + phases[i] + '"';
    s += R"(,"location":"Outlet")";
    if (units[i]) s += std::string(R"(,"unitOfMeasure":{"unit":")") + units[i] + R"(","multiplier":0})";
    s += '}';
  }
  s += "]}]";
  constexpr std::size_t kPadOverhead = 10;  // ,"pad":"" and the closing brace
  if (bytes > s.size() + kPadOverhead) s += R"(,"pad":")" + std::string(bytes - s.size() - kPadOverhead, 'x') + '"';
  s += '}';
  s.resize(bytes, ' ');  // exact size (a cut value is fine for a benchmark that never parses it)
  return s;
}

/// One writer's closed loop.
struct Writer {
  std::vector<std::uint32_t> ack_micros;
  std::uint64_t errors = 0;
  std::string first_error;
};

void run_writer(storage::GroupCommitter& committer, const Options& options, unsigned index, Clock::time_point end,
                Writer& out) {
  char station[16];
  std::snprintf(station, sizeof station, "CS%05u", index);
  const std::string tx = "3f6c2a9e-5b1d-4c8e-9a7f-" + std::to_string(100000000000ull + index);
  const std::string tx_key = storage::key({station, tx});
  const std::string mv_prefix = storage::prefix({station, tx});
  std::mutex mu;
  std::condition_variable cv;
  out.ack_micros.reserve(1 << 16);
  for (std::uint64_t seq = 1; Clock::now() < end; ++seq) {
    std::string mv_key = mv_prefix;
    storage::append_u64(mv_key, seq);
    std::string value = meter_value_json(seq, options.value_bytes);
    std::string record = R"({"transactionId":")" + tx + R"(","chargingState":"Charging","lastSeqNo":)" +
                         std::to_string(seq) + R"(,"meterWh":48213.5})";
    bool done = false;
    std::string error;
    auto t0 = Clock::now();
    committer.submit(
        [&](storage::WriteTxn& txn) {
          txn.put(storage::Table::meter_values, mv_key, value);
          txn.put(storage::Table::transactions, tx_key, record);
        },
        [&](const std::string& e) {
          std::lock_guard lock(mu);
          error = e;
          done = true;
          cv.notify_one();
        });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    out.ack_micros.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(micros, UINT32_MAX)));
    if (!error.empty() && out.errors++ == 0) out.first_error = error;
  }
}

double percentile(std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

/// The upper bound (µs) of the histogram bucket holding the p-quantile of commits; -1 for +Inf.
double bucket_percentile(const std::uint64_t (&buckets)[std::size(storage::CommitStats::kBucketsMicros) + 1],
                         double p) {
  std::uint64_t total = 0;
  for (auto b : buckets) total += b;
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < std::size(storage::CommitStats::kBucketsMicros); ++i) {
    seen += buckets[i];
    if (seen >= rank) return static_cast<double>(storage::CommitStats::kBucketsMicros[i]);
  }
  return -1;
}

std::string bound_text(double micros) {
  if (micros < 0) return "> 1 s";
  char buf[32];
  if (micros >= 1000) {
    std::snprintf(buf, sizeof buf, "<= %.1f ms", micros / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "<= %.0f us", micros);
  }
  return buf;
}

int usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: bench_store [--threads N] [--seconds S] [--value-bytes B] [--max-batch N] [--no-sync]\n"
               "                   [--dir DIR] [--json FILE]\n"
               "  --threads      concurrent writers, each waiting for its acknowledgment (default 64)\n"
               "  --seconds      how long to write (default 5)\n"
               "  --value-bytes  size of each meter value (default 1024)\n"
               "  --max-batch    operations per commit at most (default 4096)\n"
               "  --no-sync      no fsync per commit (MDB_NOSYNC): not durable, for comparison only\n"
               "  --dir          data directory (default: a temporary directory, removed afterwards)\n"
               "  --json         also write the figures as JSON to FILE\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--threads" && (v = value())) {
      options.threads = static_cast<unsigned>(std::atoi(v));
    } else if (arg == "--seconds" && (v = value())) {
      options.seconds = std::atof(v);
    } else if (arg == "--value-bytes" && (v = value())) {
      options.value_bytes = static_cast<std::size_t>(std::atoll(v));
    } else if (arg == "--max-batch" && (v = value())) {
      options.max_batch = static_cast<std::size_t>(std::atoll(v));
    } else if (arg == "--no-sync") {
      options.sync = false;
    } else if (arg == "--dir" && (v = value())) {
      options.dir = v;
    } else if (arg == "--json" && (v = value())) {
      options.json_path = v;
    } else {
      return usage(arg == "--help" || arg == "-h" ? 0 : 2);
    }
  }
  if (options.threads == 0 || options.seconds <= 0 || options.value_bytes == 0 || options.max_batch == 0) {
    std::fprintf(stderr, "--threads, --seconds, --value-bytes and --max-batch must be positive\n");
    return 2;
  }

  bool temporary = options.dir.empty();
  if (temporary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench_store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    options.dir = pattern;
  }

  int rc = 0;
  {
    auto opened = storage::Store::open(options.dir, storage::StoreOptions{.sync = options.sync});
    if (!opened) {
      std::fprintf(stderr, "bench_store: %s\n", opened.error().c_str());
      return 1;
    }
    auto& store = *opened;
    storage::GroupCommitter committer(*store, storage::GroupCommitOptions{.max_batch = options.max_batch});

    std::printf("bench_store: %u writers, %zu-byte values, sync %s, %.1f s, data in %s\n", options.threads,
                options.value_bytes, options.sync ? "on" : "off", options.seconds, options.dir.c_str());
    std::vector<Writer> writers(options.threads);
    std::vector<std::thread> threads;
    auto before = committer.stats();
    auto t0 = Clock::now();
    auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
    for (unsigned i = 0; i < options.threads; ++i) {
      threads.emplace_back([&, i] { run_writer(committer, options, i, end, writers[i]); });
    }
    for (auto& t : threads) t.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    auto after = committer.stats();
    committer.stop();

    std::vector<std::uint32_t> acks;
    std::uint64_t errors = 0;
    std::string first_error;
    for (auto& w : writers) {
      acks.insert(acks.end(), w.ack_micros.begin(), w.ack_micros.end());
      if (w.errors && first_error.empty()) first_error = w.first_error;
      errors += w.errors;
    }
    std::sort(acks.begin(), acks.end());
    std::uint64_t commits = after.commits - before.commits;
    std::uint64_t ops = after.operations - before.operations;
    std::uint64_t buckets[std::size(storage::CommitStats::kBucketsMicros) + 1];
    for (std::size_t i = 0; i < std::size(buckets); ++i) buckets[i] = after.buckets[i] - before.buckets[i];
    double ops_per_s = static_cast<double>(ops) / elapsed;
    double commits_per_s = static_cast<double>(commits) / elapsed;
    double avg_batch = commits ? static_cast<double>(ops) / static_cast<double>(commits) : 0;
    double commit_avg =
        commits ? static_cast<double>(after.commit_micros - before.commit_micros) / static_cast<double>(commits) : 0;
    double commit_p50 = bucket_percentile(buckets, 0.50), commit_p99 = bucket_percentile(buckets, 0.99);
    double ack_p50 = percentile(acks, 0.50), ack_p99 = percentile(acks, 0.99);
    double ack_max = acks.empty() ? 0 : acks.back();

    std::printf("\n%12s %12s %10s %11s %12s %12s %10s %10s %10s\n", "ops/s", "commits/s", "avg batch", "commit avg",
                "commit p50", "commit p99", "ack p50", "ack p99", "ack max");
    std::printf("%12.0f %12.0f %10.1f %8.0f us %12s %12s %7.0f us %7.0f us %7.0f us\n", ops_per_s, commits_per_s,
                avg_batch, commit_avg, bound_text(commit_p50).c_str(), bound_text(commit_p99).c_str(), ack_p50, ack_p99,
                ack_max);
    std::printf("\n%llu operations in %llu commits (largest batch %llu), %.1f MB of values, %llu errors\n",
                static_cast<unsigned long long>(ops), static_cast<unsigned long long>(commits),
                static_cast<unsigned long long>(after.max_batch), static_cast<double>(ops * options.value_bytes) / 1e6,
                static_cast<unsigned long long>(errors));
    if (errors) {
      std::fprintf(stderr, "first error: %s\n", first_error.c_str());
      rc = 1;
    }

    if (!options.json_path.empty()) {
      std::string s;
      ocpp::JsonWriter w(s);
      auto field = [&](const char* name, double value) {
        w.raw(",\"");
        w.raw(name);
        w.raw("\":");
        w.number(value);
      };
      w.raw("{\"benchmark\":\"bench_store\",\"threads\":");
      w.integer(options.threads);
      field("value_bytes", static_cast<double>(options.value_bytes));
      w.raw(",\"sync\":");
      w.boolean(options.sync);
      field("max_batch_option", static_cast<double>(options.max_batch));
      field("seconds", std::round(elapsed * 1000) / 1000);
      field("operations", static_cast<double>(ops));
      field("commits", static_cast<double>(commits));
      field("errors", static_cast<double>(errors));
      field("ops_per_s", std::round(ops_per_s));
      field("commits_per_s", std::round(commits_per_s));
      field("avg_batch", std::round(avg_batch * 10) / 10);
      field("max_batch", static_cast<double>(after.max_batch));
      field("commit_avg_us", std::round(commit_avg));
      field("commit_p50_us_le", commit_p50);  // bucket upper bounds; -1 means above the last bucket
      field("commit_p99_us_le", commit_p99);
      field("ack_p50_us", ack_p50);
      field("ack_p99_us", ack_p99);
      field("ack_max_us", ack_max);
      w.raw(",\"commit_histogram_us\":{");
      for (std::size_t i = 0; i < std::size(buckets); ++i) {
        if (i) w.raw(',');
        w.string(i < std::size(storage::CommitStats::kBucketsMicros)
                     ? std::to_string(storage::CommitStats::kBucketsMicros[i])
                     : std::string("+Inf"));
        w.raw(':');
        w.integer(static_cast<std::int64_t>(buckets[i]));
      }
      w.raw("}}\n");
      std::ofstream out(options.json_path);
      out << s;
      if (!out) {
        std::fprintf(stderr, "bench_store: cannot write %s\n", options.json_path.c_str());
        rc = 1;
      }
    }
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(options.dir, ec);
  }
  return rc;
}
