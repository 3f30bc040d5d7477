#include "actors/station/settings.hpp"

#include <algorithm>

#include "actors/station/call_split.hpp"
#include "actors/records/generated/record_types.hpp"
#include "actors/records/json_read.hpp"
#include "protocol/ocpp16/actions.hpp"
#include "protocol/ocpp201/actions.hpp"

namespace evbroker::actors {
namespace {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    parts.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > 1'000'000'000) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

/// The component/variable identity of a setting, to match results with what was sent.
std::string identity(const ocpp201::ComponentType& c, const ocpp201::VariableType& v,
                     const std::optional<ocpp201::AttributeEnumType>& attribute) {
  std::string out = c.name + ';' + c.instance.value_or("") + ';' + (c.evse ? std::to_string(c.evse->id) : "") + '/' +
                    v.name + ';' + v.instance.value_or("") + ';';
  out += ocpp201::to_string(attribute.value_or(ocpp201::AttributeEnumType::Actual));
  return out;
}

}  // namespace

std::optional<ocpp201::SetVariableDataType> parse_setting_key(std::string_view key, std::string& error) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos || key.find('/', slash + 1) != std::string_view::npos) {
    error = "setting " + std::string(key) + ": expected <component>/<variable>";
    return std::nullopt;
  }
  auto component = split(key.substr(0, slash), ';');
  auto variable = split(key.substr(slash + 1), ';');
  if (component.size() > 3 || variable.size() > 3 || component[0].empty() || variable[0].empty()) {
    error = "setting " + std::string(key) +
            ": expected <component>[;<instance>[;<evseId>]]/<variable>[;<instance>[;<attributeType>]]";
    return std::nullopt;
  }
  ocpp201::SetVariableDataType data;
  data.component.name = component[0];
  if (component.size() > 1 && !component[1].empty()) data.component.instance = component[1];
  if (component.size() > 2 && !component[2].empty()) {
    std::int64_t evse = 0;
    if (!parse_int(component[2], evse)) {
      error = "setting " + std::string(key) + ": evse id " + component[2] + " is not a number";
      return std::nullopt;
    }
    data.component.evse = ocpp201::EVSEType{};
    data.component.evse->id = evse;
  }
  data.variable.name = variable[0];
  if (variable.size() > 1 && !variable[1].empty()) data.variable.instance = variable[1];
  if (variable.size() > 2 && !variable[2].empty()) {
    ocpp201::AttributeEnumType attribute{};
    if (!ocpp201::parse_enum(variable[2], attribute)) {
      error = "setting " + std::string(key) + ": attribute type " + variable[2] +
              " is not Actual, Target, MinSet or MaxSet";
      return std::nullopt;
    }
    data.attributeType = attribute;
  }
  if (data.component.name.size() > 50 || data.variable.name.size() > 50) {
    error = "setting " + std::string(key) + ": component and variable names are at most 50 characters";
    return std::nullopt;
  }
  return data;
}

std::string setting_key(std::string_view station, std::string_view key) { return storage::key({station, key}); }

std::string setting_record(std::string_view value, std::string_view status, std::int64_t at_ms,
                           std::string_view detail) {
  return to_json(SettingRecord{.value = std::string(value),
                               .status = std::string(status),
                               .detail = std::string(detail),
                               .updated_at_ms = at_ms});
}

std::vector<PendingSetting> pending_settings(const storage::Reader& reader, std::string_view station) {
  std::vector<PendingSetting> out;
  const auto p = storage::prefix({station});
  reader.scan(storage::Table::settings, p, [&](std::string_view key, std::string_view value) {
    auto setting = parse_setting_record(value);
    if (setting && setting->status == "Pending")
      out.push_back({std::string(key.substr(p.size())), std::move(setting->value)});
    return true;
  });
  return out;
}

std::size_t count_pending_settings(const storage::Reader& reader, std::string_view station) {
  return pending_settings(reader, station).size();
}

std::vector<PendingSetting> still_pending(const storage::Reader& reader, std::string_view station,
                                          const SettingsCall& sent, const std::set<std::string>& held) {
  std::vector<PendingSetting> out;
  for (std::size_t i = 0; i < sent.keys.size(); ++i) {
    if (held.count(sent.keys[i])) continue;
    auto stored = reader.get(storage::Table::settings, setting_key(station, sent.keys[i]));
    auto setting = stored ? parse_setting_record(*stored) : std::nullopt;
    // Cancelled (deleted), answered meanwhile, or given a newer value: the newer value goes in the
    // next round, which the reconfigure that stored it asked for.
    if (!setting || setting->status != "Pending" || setting->value != sent.values[i]) continue;
    out.push_back({sent.keys[i], sent.values[i]});
  }
  return out;
}

SettingsBatchLimits settings_batch_limits(const storage::Reader& reader, std::string_view station) {
  SettingsBatchLimits limits;
  if (auto items = reported_device_limit(reader, station, "DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"))
    limits.items = *items;
  if (auto bytes = reported_device_limit(reader, station, "DeviceDataCtrlr", "BytesPerMessage", "SetVariables"))
    limits.bytes = *bytes;
  return limits;
}

std::vector<SettingsCall> settings_calls(ocpp::Version version, const std::vector<PendingSetting>& pending,
                                         const SettingsBatchLimits& limits) {
  std::vector<SettingsCall> calls;
  if (pending.empty()) return calls;
  if (version == ocpp::Version::v16) {
    for (const auto& s : pending) {
      ocpp16::ChangeConfigurationRequest r;
      r.key = s.key;
      r.value = s.value;
      calls.push_back({CsmsCall::of(std::move(r)), {s.key}, {s.value}});
    }
    return calls;
  }
  SettingsCall call;
  ocpp201::SetVariablesRequest r;
  auto close_batch = [&] {
    if (r.setVariableData.empty()) return;
    call.call = CsmsCall::of(std::move(r));
    calls.push_back(std::move(call));
    call = {};
    r = {};
  };
  for (const auto& s : pending) {
    std::string error;
    auto data = parse_setting_key(s.key, error);
    if (!data) continue;  // refused by the API already; never sent
    data->attributeValue = s.value;
    if (r.setVariableData.size() >= std::max<std::size_t>(1, limits.items)) close_batch();
    r.setVariableData.push_back(std::move(*data));
    // Over the station's byte limit with this item: it opens the next batch instead.
    if (limits.bytes != 0 && r.setVariableData.size() > 1 && ocpp::to_json(r).size() > limits.bytes) {
      auto last = std::move(r.setVariableData.back());
      r.setVariableData.pop_back();
      close_batch();
      r.setVariableData.push_back(std::move(last));
    }
    call.keys.push_back(s.key);
    call.values.push_back(s.value);
  }
  close_batch();
  return calls;
}

void store_settings_outcome(storage::WriteTxn& txn, std::string_view station, const SettingsCall& sent,
                            const std::vector<std::pair<std::string, std::string>>& outcome, std::int64_t at_ms) {
  for (const auto& [key, status] : outcome) {
    const auto at = std::find(sent.keys.begin(), sent.keys.end(), key);
    if (at == sent.keys.end()) continue;
    const std::string& value = sent.values[static_cast<std::size_t>(at - sent.keys.begin())];
    auto stored = txn.get(storage::Table::settings, setting_key(station, key));
    if (!stored) continue;  // removed meanwhile (station deleted)
    auto setting = parse_setting_record(*stored);
    if (!setting) continue;
    if (setting->status != "Pending" || setting->value != value) continue;  // a newer value waits: it is pushed next
    txn.put(storage::Table::settings, setting_key(station, key), setting_record(value, status, at_ms));
  }
}

std::vector<std::pair<std::string, std::string>> settings_outcome(ocpp::Version version, const SettingsCall& sent,
                                                                  const CsmsCallResult& result) {
  std::vector<std::pair<std::string, std::string>> out;
  if (result.kind != CsmsCallResult::Kind::result) return out;
  if (version == ocpp::Version::v16) {
    const auto* r = result.response.as<ocpp16::ChangeConfigurationResponse>();
    if (r) out.emplace_back(sent.keys.front(), std::string(ocpp16::to_string(r->status)));
    return out;
  }
  const auto* response = result.response.as<ocpp201::SetVariablesResponse>();
  if (!response) return out;
  const auto& r = *response;
  for (const auto& key : sent.keys) {
    std::string error;
    auto data = parse_setting_key(key, error);
    if (!data) continue;
    const auto wanted = identity(data->component, data->variable, data->attributeType);
    for (const auto& item : r.setVariableResult) {
      if (identity(item.component, item.variable, item.attributeType) == wanted) {
        out.emplace_back(key, std::string(ocpp201::to_string(item.attributeStatus)));
        break;
      }
    }
  }
  return out;
}

}  // namespace evbroker::actors
