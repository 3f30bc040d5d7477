#include "actors/station/call_split.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <variant>

#include "actors/records/json_read.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors {
namespace {

/// Where a 2.0.1 action's limits live in the device model: the controller component, the
/// variables' instance being the action's name.
std::optional<std::string_view> limits_component(std::string_view action) {
  if (action == "GetVariables" || action == "SetVariables" || action == "GetReport") return "DeviceDataCtrlr";
  if (action == "SetVariableMonitoring" || action == "ClearVariableMonitoring") return "MonitoringCtrlr";
  return std::nullopt;
}

std::optional<std::size_t> positive(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return static_cast<std::size_t>(n);
}

/// The items of a splittable request: the vector that is cut into parts.
template <class Fn>
auto visit_items(const CsmsCall& call, Fn&& fn)
    -> decltype(fn(std::declval<const ocpp201::GetVariablesRequest&>(),
                   std::declval<const std::vector<ocpp201::GetVariableDataType>&>())) {
  using Result = decltype(fn(std::declval<const ocpp201::GetVariablesRequest&>(),
                             std::declval<const std::vector<ocpp201::GetVariableDataType>&>()));
  if (call.request.v201) {
    const auto& r = *call.request.v201;
    if (const auto* m = std::get_if<ocpp201::GetVariablesRequest>(&r)) return fn(*m, m->getVariableData);
    if (const auto* m = std::get_if<ocpp201::SetVariablesRequest>(&r)) return fn(*m, m->setVariableData);
    if (const auto* m = std::get_if<ocpp201::SetVariableMonitoringRequest>(&r)) return fn(*m, m->setMonitoringData);
    if (const auto* m = std::get_if<ocpp201::ClearVariableMonitoringRequest>(&r)) return fn(*m, m->id);
    if (const auto* m = std::get_if<ocpp201::GetReportRequest>(&r); m && m->componentVariable)
      return fn(*m, *m->componentVariable);
  }
  if (call.request.v16) {
    if (const auto* m = std::get_if<ocpp16::GetConfigurationRequest>(call.request.v16.get()); m && m->key)
      return fn(*m, *m->key);
  }
  return Result{};
}

/// The items vector of a request of the same type as `whole` (for building a part).
template <class Message>
auto& items_of(Message& m) {
  if constexpr (std::is_same_v<Message, ocpp201::GetVariablesRequest>)
    return m.getVariableData;
  else if constexpr (std::is_same_v<Message, ocpp201::SetVariablesRequest>)
    return m.setVariableData;
  else if constexpr (std::is_same_v<Message, ocpp201::SetVariableMonitoringRequest>)
    return m.setMonitoringData;
  else if constexpr (std::is_same_v<Message, ocpp201::ClearVariableMonitoringRequest>)
    return m.id;
  else if constexpr (std::is_same_v<Message, ocpp201::GetReportRequest>)
    return *m.componentVariable;
  else
    return *m.key;  // ocpp16::GetConfigurationRequest
}

template <class Item>
void append(std::vector<Item>& into, const std::vector<Item>& items) {
  into.insert(into.end(), items.begin(), items.end());
}

CsmsCallResult result_of(const ocpp::DecodedResponse& decoded, std::string payload) {
  CsmsCallResult merged;
  merged.kind = CsmsCallResult::Kind::result;
  merged.sent = true;
  merged.payload = std::move(payload);
  merged.response = decoded;
  return merged;
}

template <class Response>
CsmsCallResult typed_result(Response response) {
  ocpp::DecodedResponse decoded;
  auto payload = ocpp::to_json(response);
  if constexpr (requires { ocpp16::ActionOf<Response>::value; })
    decoded.v16 = std::make_shared<const ocpp16::Response>(std::move(response));
  else
    decoded.v201 = std::make_shared<const ocpp201::Response>(std::move(response));
  return result_of(decoded, std::move(payload));
}

/// The parts' answers of one response type merged by `add(merged, part)`.
template <class Response, class Add>
CsmsCallResult merge_typed(const std::vector<CsmsCallResult>& parts, Add add) {
  Response merged{};
  for (const auto& part : parts)
    if (const auto* r = part.response.as<Response>()) add(merged, *r);
  return typed_result(std::move(merged));
}

}  // namespace

std::optional<std::size_t> reported_device_limit(const storage::Reader& reader, std::string_view station,
                                                 std::string_view component, std::string_view variable,
                                                 std::string_view instance) {
  // The device model key of NotifyReport data (device_model.cpp): <id>\0<component>\0<variable>;<instance>.
  auto stored = reader.get(storage::Table::device_model,
                           storage::key({station, component, std::string(variable) + ";" + std::string(instance)}));
  if (!stored) return std::nullopt;
  simdjson::dom::object o;
  if (json::thread_parser().parse(stored->data(), stored->size()).get(o) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array attributes;
  if (o["variableAttribute"].get(attributes) != simdjson::SUCCESS) return std::nullopt;
  for (auto attribute : attributes) {
    simdjson::dom::object a;
    if (attribute.get(a) != simdjson::SUCCESS) continue;
    if (json::get_string(a, "type").value_or("Actual") != "Actual") continue;
    if (auto value = json::get_string(a, "value"))
      if (auto n = positive(*value)) return n;
  }
  return std::nullopt;
}

std::optional<std::size_t> splittable_items(const CsmsCall& call) {
  return visit_items(call, [](const auto&, const auto& items) { return std::optional<std::size_t>(items.size()); });
}

std::optional<MessageLimits> reported_limits(const storage::Reader& reader, std::string_view station,
                                             const CsmsCall& call) {
  const auto component = limits_component(call.action.name());
  if (!component) return std::nullopt;
  const auto items = reported_device_limit(reader, station, *component, "ItemsPerMessage", call.action.name());
  const auto bytes = reported_device_limit(reader, station, *component, "BytesPerMessage", call.action.name());
  if (!items && !bytes) return std::nullopt;
  return MessageLimits{items.value_or(0), bytes.value_or(0)};
}

CsmsCall limits_request(const CsmsCall& call) {
  if (call.action.version == ocpp::Version::v16) {
    ocpp16::GetConfigurationRequest request;
    request.key = std::vector<std::string>{"GetConfigurationMaxKeys"};
    return CsmsCall::of(std::move(request));
  }
  ocpp201::GetVariablesRequest request;
  for (const char* variable : {"ItemsPerMessage", "BytesPerMessage"}) {
    ocpp201::GetVariableDataType data;
    data.component.name = std::string(limits_component(call.action.name()).value_or("DeviceDataCtrlr"));
    data.variable.name = variable;
    data.variable.instance = std::string(call.action.name());
    request.getVariableData.push_back(std::move(data));
  }
  return CsmsCall::of(std::move(request));
}

MessageLimits limits_from(const CsmsCall&, const CsmsCallResult& answer) {
  MessageLimits limits;
  if (answer.kind != CsmsCallResult::Kind::result) return limits;
  if (const auto* v16 = answer.response.as<ocpp16::GetConfigurationResponse>()) {
    if (v16->configurationKey)
      for (const auto& kv : *v16->configurationKey)
        if (kv.key == "GetConfigurationMaxKeys" && kv.value) limits.items = positive(*kv.value).value_or(0);
    return limits;
  }
  if (const auto* v201 = answer.response.as<ocpp201::GetVariablesResponse>()) {
    for (const auto& item : v201->getVariableResult) {
      if (item.attributeStatus != ocpp201::GetVariableStatusEnumType::Accepted || !item.attributeValue) continue;
      const auto value = positive(*item.attributeValue).value_or(0);
      if (item.variable.name == "ItemsPerMessage") limits.items = value;
      if (item.variable.name == "BytesPerMessage") limits.bytes = value;
    }
  }
  return limits;
}

std::vector<CsmsCall> split_call(const CsmsCall& call, const MessageLimits& limits) {
  std::vector<CsmsCall> parts;
  visit_items(call, [&](const auto& whole, const auto& items) {
    using Message = std::decay_t<decltype(whole)>;
    const std::size_t per_part = limits.items == 0 ? items.size() : limits.items;
    Message part = whole;
    auto& part_items = items_of(part);
    part_items.clear();
    auto close = [&] {
      if (part_items.empty()) return;
      parts.push_back(CsmsCall::of(part));
      part_items.clear();
    };
    for (const auto& item : items) {
      if (part_items.size() >= std::max<std::size_t>(1, per_part)) close();
      part_items.push_back(item);
      // Over the byte limit with this item: it opens the next part instead.
      if (limits.bytes != 0 && part_items.size() > 1 && ocpp::to_json(part).size() > limits.bytes) {
        auto last = std::move(part_items.back());
        part_items.pop_back();
        close();
        part_items.push_back(std::move(last));
      }
    }
    close();
    return 0;
  });
  if (parts.size() <= 1) return {call};
  for (auto& part : parts) part.send_by = call.send_by;
  return parts;
}

CsmsCallResult merge_answers(const CsmsCall& whole, const std::vector<CsmsCallResult>& parts, std::size_t total) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].kind == CsmsCallResult::Kind::result) continue;
    CsmsCallResult failed = parts[i];
    failed.sent = failed.sent || i > 0;
    failed.error_description = "part " + std::to_string(i + 1) + " of " + std::to_string(total) + ": " +
                               failed.error_description +
                               (i == 0 ? "" : " (the " + std::to_string(i) + " answered before it stand)");
    return failed;
  }
  if (parts.size() == 1) return parts.front();
  const auto action = whole.action.name();
  if (action == "GetVariables")
    return merge_typed<ocpp201::GetVariablesResponse>(
        parts, [](auto& m, const auto& r) { append(m.getVariableResult, r.getVariableResult); });
  if (action == "SetVariables")
    return merge_typed<ocpp201::SetVariablesResponse>(
        parts, [](auto& m, const auto& r) { append(m.setVariableResult, r.setVariableResult); });
  if (action == "SetVariableMonitoring")
    return merge_typed<ocpp201::SetVariableMonitoringResponse>(
        parts, [](auto& m, const auto& r) { append(m.setMonitoringResult, r.setMonitoringResult); });
  if (action == "ClearVariableMonitoring")
    return merge_typed<ocpp201::ClearVariableMonitoringResponse>(
        parts, [](auto& m, const auto& r) { append(m.clearMonitoringResult, r.clearMonitoringResult); });
  if (action == "GetReport") {
    // One report in several requests (same requestId): Accepted when every part was; else the
    // first other status, with its statusInfo.
    bool first = true;
    return merge_typed<ocpp201::GetReportResponse>(parts, [&first](auto& m, const auto& r) {
      if (first || m.status == ocpp201::GenericDeviceModelStatusEnumType::Accepted) m = r;
      first = false;
    });
  }
  if (action == "GetConfiguration") {
    return merge_typed<ocpp16::GetConfigurationResponse>(parts, [](auto& m, const auto& r) {
      if (r.configurationKey) {
        if (!m.configurationKey) m.configurationKey.emplace();
        append(*m.configurationKey, *r.configurationKey);
      }
      if (r.unknownKey) {
        if (!m.unknownKey) m.unknownKey.emplace();
        append(*m.unknownKey, *r.unknownKey);
      }
    });
  }
  return parts.back();
}

}  // namespace evbroker::actors
