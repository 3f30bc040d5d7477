// bench_codec: how fast the generated OCPP codecs decode+validate and encode, next to simdjson's own
// on-demand parse of the same bytes (the ceiling for any decoder built on it).
//
//   build/bin/bench_codec [--duration SECONDS] [--json FILE]
//
// Ceiling: simdjson on-demand iterates the document and reads every value (keys and strings
// unescaped, numbers converted); that is the least work any decoder must do. decode+validate runs
// the generated decoder: it copies the payload into a padded buffer, checks every schema
// constraint and fills the typed struct (allocating its strings and vectors). encode writes the
// decoded struct back to compact JSON into a reused buffer. Each figure is the best of 5 runs.

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_writer.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

namespace {

using namespace evbroker;
using Clock = std::chrono::steady_clock;

// ---- the messages ------------------------------------------------------------------------------------

std::string boot_notification_201() {
  return R"({"chargingStation":{"serialNumber":"EVB-P2102-000123","model":"Wallbox DC 150","modem":{"iccid":"89490200001234567890","imsi":"262011234567890"},"vendorName":"Evbroker Test Vendor","firmwareVersion":"4.12.3-rc2+build.77"},"reason":"PowerUp"})";
}

std::string status_notification_201() {
  return R"({"timestamp":"2024-05-01T12:34:56.789Z","connectorStatus":"Occupied","evseId":1,"connectorId":1})";
}

std::string transaction_event_201() {
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
      R"({"eventType":"Updated","timestamp":"2024-05-01T12:35:00.000Z","triggerReason":"MeterValuePeriodic","seqNo":42,)"
      R"("transactionInfo":{"transactionId":"3f6c2a9e-5b1d-4c8e-9a7f-1e2d3c4b5a69","chargingState":"Charging"},)"
      R"("evse":{"id":1,"connectorId":1},"meterValue":[{"timestamp":"2024-05-01T12:35:00.000Z","sampledValue":[)";
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
  s += "]}]}";
  return s;
}

std::string meter_values_16() {
  std::string s =
      R"({"connectorId":1,"transactionId":1873,"meterValue":[{"timestamp":"2024-05-01T12:35:00Z","sampledValue":[)";
  static const char* rows[] = {
      R"({"value":"48213.5","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"})",
      R"({"value":"11040","context":"Sample.Periodic","measurand":"Power.Active.Import","location":"Outlet","unit":"W"})",
      R"({"value":"16.02","context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"})",
      R"({"value":"15.98","context":"Sample.Periodic","measurand":"Current.Import","phase":"L2","location":"Outlet","unit":"A"})",
      R"({"value":"16.10","context":"Sample.Periodic","measurand":"Current.Import","phase":"L3","location":"Outlet","unit":"A"})",
      R"({"value":"230.4","context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","location":"Outlet","unit":"V"})",
      R"({"value":"57","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"})"};
  for (std::size_t i = 0; i < std::size(rows); ++i) {
    if (i) s += ',';
    s += rows[i];
  }
  s += "]}]}";
  return s;
}

// ---- the ceiling: simdjson reads every value -------------------------------------------------------------

std::size_t walk(simdjson::ondemand::value v) {
  std::size_t n = 0;
  switch (v.type().value_unsafe()) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object object = v.get_object().value_unsafe();
      for (auto field : object) {
        n += field.unescaped_key().value_unsafe().size();
        n += walk(field.value().value_unsafe());
      }
      break;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array array = v.get_array().value_unsafe();
      for (auto element : array) n += walk(element.value_unsafe());
      break;
    }
    case simdjson::ondemand::json_type::string: n += v.get_string().value_unsafe().size(); break;
    case simdjson::ondemand::json_type::number: n += static_cast<std::size_t>(v.get_double().value_unsafe()) & 1; break;
    case simdjson::ondemand::json_type::boolean: n += v.get_bool().value_unsafe(); break;
    case simdjson::ondemand::json_type::null: n += v.is_null().value_unsafe(); break;
  }
  return n;
}

// ---- measuring --------------------------------------------------------------------------------------------

struct Rate {
  double msgs_per_s = 0;
  double mb_per_s = 0;
};

/// Runs `op` (which handles one message of `bytes` bytes) for about `seconds`, best of 5 runs.
Rate measure(double seconds, std::size_t bytes, const std::function<std::size_t()>& op) {
  volatile std::size_t sink = 0;
  // Calibrate a batch that takes ~1/20 of a run so the clock is read rarely.
  std::size_t batch = 1;
  for (;;) {
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < batch; ++i) sink = sink + op();
    if (std::chrono::duration<double>(Clock::now() - t0).count() > seconds / 20 || batch > (1u << 28)) break;
    batch *= 2;
  }
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    std::size_t count = 0;
    auto t0 = Clock::now();
    double elapsed = 0;
    do {
      for (std::size_t i = 0; i < batch; ++i) sink = sink + op();
      count += batch;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < seconds);
    best = std::max(best, static_cast<double>(count) / elapsed);
  }
  return Rate{best, best * static_cast<double>(bytes) / 1e6};
}

struct Row {
  std::string name;
  std::size_t bytes = 0;
  std::size_t encoded_bytes = 0;
  Rate ceiling, decode, encode;
};

template <class Request, class Action>
Row bench_message(std::string name, const std::string& json, Action action, double seconds,
                  ocpp::DecodeResult (*decode)(Action, std::string_view, Request&, const ocpp::DecodeOptions&)) {
  Row row;
  row.name = std::move(name);
  row.bytes = json.size();

  Request request;
  auto first = decode(action, json, request, ocpp::DecodeOptions{});
  if (!first) {
    std::fprintf(stderr, "%s does not decode: %s\n", row.name.c_str(), first.error().message().c_str());
    std::exit(1);
  }

  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  row.ceiling = measure(seconds, row.bytes, [&] {
    auto doc = parser.iterate(padded).value_unsafe();
    return walk(doc.get_value().value_unsafe());
  });

  row.decode = measure(seconds, row.bytes, [&] {
    auto result = decode(action, json, request, ocpp::DecodeOptions{});
    return static_cast<std::size_t>(result.has_value());
  });

  std::string out;
  {
    ocpp::JsonWriter w(out);
    encode(w, request);
  }
  row.encoded_bytes = out.size();
  row.encode = measure(seconds, row.encoded_bytes, [&] {
    out.clear();
    ocpp::JsonWriter w(out);
    encode(w, request);
    return out.size();
  });
  return row;
}

void print_table(const std::vector<Row>& rows) {
  std::printf("%-36s %6s | %20s | %27s | %20s\n", "message", "bytes", "simdjson ceiling", "decode+validate", "encode");
  std::printf("%-36s %6s | %9s %10s | %9s %10s %6s | %9s %10s\n", "", "", "msgs/s", "MB/s", "msgs/s", "MB/s", "%ceil",
              "msgs/s", "MB/s");
  for (const auto& r : rows) {
    std::printf("%-36s %6zu | %9.0f %10.1f | %9.0f %10.1f %5.0f%% | %9.0f %10.1f\n", r.name.c_str(), r.bytes,
                r.ceiling.msgs_per_s, r.ceiling.mb_per_s, r.decode.msgs_per_s, r.decode.mb_per_s,
                100.0 * r.decode.msgs_per_s / r.ceiling.msgs_per_s, r.encode.msgs_per_s, r.encode.mb_per_s);
  }
}

void write_json(const std::vector<Row>& rows, const std::string& path, double seconds) {
  std::string s;
  ocpp::JsonWriter w(s);
  w.raw("{\"benchmark\":\"bench_codec\",\"simdjson_implementation\":");
  w.string(simdjson::get_active_implementation()->name());
  w.raw(",\"seconds_per_run\":");
  w.number(seconds);
  w.raw(",\"messages\":[");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (i) w.raw(',');
    auto write_rate = [&w](const char* key, const Rate& rate) {
      w.raw(key);
      w.raw("{\"msgs_per_s\":");
      w.number(std::round(rate.msgs_per_s));
      w.raw(",\"mb_per_s\":");
      w.number(std::round(rate.mb_per_s * 10) / 10);
      w.raw('}');
    };
    w.raw("{\"name\":");
    w.string(r.name);
    w.raw(",\"bytes\":");
    w.integer(static_cast<std::int64_t>(r.bytes));
    w.raw(",\"encoded_bytes\":");
    w.integer(static_cast<std::int64_t>(r.encoded_bytes));
    write_rate(",\"simdjson_ceiling\":", r.ceiling);
    write_rate(",\"decode_validate\":", r.decode);
    write_rate(",\"encode\":", r.encode);
    w.raw(",\"decode_vs_ceiling\":");
    w.number(std::round(1000 * r.decode.msgs_per_s / r.ceiling.msgs_per_s) / 1000);
    w.raw('}');
  }
  w.raw("]}\n");
  std::ofstream(path) << s;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.4;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--duration" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: bench_codec [--duration SECONDS] [--json FILE]\n"
                   "  --duration  seconds per measurement run, 5 runs each (default 0.4)\n"
                   "  --json      also write the figures as JSON to FILE\n");
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (seconds <= 0) {
    std::fprintf(stderr, "--duration must be positive\n");
    return 2;
  }

  std::printf("simdjson %s kernel; each figure is the best of 5 runs of %.2f s\n\n",
              std::string(simdjson::get_active_implementation()->name()).c_str(), seconds);
  std::vector<Row> rows;
  rows.push_back(bench_message<ocpp201::Request>("2.0.1 BootNotification", boot_notification_201(),
                                                 ocpp201::Action::BootNotification, seconds, &ocpp201::decode_request));
  rows.push_back(bench_message<ocpp201::Request>("2.0.1 StatusNotification", status_notification_201(),
                                                 ocpp201::Action::StatusNotification, seconds,
                                                 &ocpp201::decode_request));
  rows.push_back(bench_message<ocpp201::Request>("2.0.1 TransactionEvent (10 sampled)", transaction_event_201(),
                                                 ocpp201::Action::TransactionEvent, seconds, &ocpp201::decode_request));
  rows.push_back(bench_message<ocpp16::Request>("1.6 MeterValues (7 sampled)", meter_values_16(),
                                                ocpp16::Action::MeterValues, seconds, &ocpp16::decode_request));
  print_table(rows);
  if (!json_path.empty()) write_json(rows, json_path, seconds);
  return 0;
}
