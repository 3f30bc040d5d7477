// The maintained MaEVe fork's configuration operations: 1.6 configuration keys, 2.0.1 variables,
// display messages and variable monitoring (api_maeve.hpp).

#include "actors/api/api_maeve.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/json_read.hpp"

namespace evbroker::actors::api {

using maeve::Object;

namespace {

std::vector<std::string> split_keys(const std::string& text) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    auto key = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!key.empty()) keys.push_back(std::move(key));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return keys;
}

std::string_view string_of(simdjson::dom::element e, std::string_view key) {
  std::string_view out;
  if (e[key].get(out) != simdjson::SUCCESS) return {};
  return out;
}

/// The stored device model (NotifyReport data, one entry per variable) whose component and
/// variable have the names asked for (empty: any), as the fork's VariablesResponse items.
std::vector<std::string> stored_variables(Request& r, const std::string& id, const std::string& component,
                                          const std::string& variable) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  r.ctx->store->read().scan(storage::Table::device_model, storage::prefix({id}),
                            [&](std::string_view, std::string_view value) {
                              simdjson::dom::element data;
                              if (parser.parse(value).get(data) != simdjson::SUCCESS) return true;
                              simdjson::dom::element c, v;
                              if (data["component"].get(c) || data["variable"].get(v)) return true;
                              if (!component.empty() && string_of(c, "name") != component) return true;
                              if (!variable.empty() && string_of(v, "name") != variable) return true;
                              out.emplace_back(value);
                              return true;
                            });
  return out;
}

}  // namespace

void maeve_get_configuration(Request& r) {
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  const auto keys = split_keys(r.query_value("key"));
  Object out;
  if (!keys.empty()) {
    std::vector<std::string> quoted;
    for (const auto& k : keys) quoted.push_back(maeve::quoted(k));
    out.raw("key", maeve::array(quoted));
  }
  // 1.6's answer is the fork's ConfigurationResponse already.
  maeve::send(r, *station, {"GetConfiguration", out.text()}, 200);
}

void maeve_change_configuration(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_configuration_change_request);
  if (!body) return;
  if (body->entries.empty()) return r.respond(error_response(400, "body: expected at least one key"));
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  std::vector<maeve::Call> calls;
  std::vector<std::string> keys;
  for (const auto& [key, value] : body->entries) {
    calls.push_back({"ChangeConfiguration", Object().str("key", key).str("value", value).text()});
    keys.push_back(key);
  }
  // One ChangeConfiguration per key, in the body's order; the answer has each key's status.
  maeve::send_all(r, *station, std::move(calls), 202, [keys](const std::vector<std::string>& answers) {
    std::vector<std::string> results;
    for (std::size_t i = 0; i < answers.size(); ++i)
      results.push_back(
          Object().str("key", keys[i]).str("status", maeve::string_member(answers[i], "status").value_or("")).text());
    return Object().raw("results", maeve::array(results)).text();
  });
}

void maeve_get_variables(Request& r) {
  const std::string id = r.segments.at(1);
  const auto component = r.query_value("component");
  const auto variable = r.query_value("variable");
  if (component.empty() || variable.empty()) {
    // GetVariables must name both: without them the answer is what the station reported
    // (NotifyReport), filtered by what was given.
    if (!r.ctx->store->read().get(storage::Table::stations, id))
      return r.respond(error_response(404, "unknown charge station " + id));
    return r.respond(json_response(
        200, Object().raw("variables", maeve::array(stored_variables(r, id, component, variable))).text()));
  }
  auto station = connected_station(r, id);
  if (!station) return;
  const auto data = Object()
                        .raw("component", Object().str("name", component).text())
                        .raw("variable", Object().str("name", variable).text())
                        .text();
  maeve::send(r, *station, {"GetVariables", Object().raw("getVariableData", "[" + data + "]").text()}, 200,
              [](simdjson::dom::element answer, std::string_view) {
                std::vector<std::string> variables;
                simdjson::dom::array results;
                if (answer["getVariableResult"].get(results) == simdjson::SUCCESS) {
                  for (auto result : results) {
                    simdjson::dom::element c, v;
                    if (result["component"].get(c) || result["variable"].get(v)) continue;
                    Object attribute;
                    if (auto type = string_of(result, "attributeType"); !type.empty()) attribute.str("type", type);
                    simdjson::dom::element value;
                    if (result["attributeValue"].get(value) == simdjson::SUCCESS)
                      attribute.str("value", string_of(result, "attributeValue"));
                    // The station's status is kept (the fork's shape has none).
                    variables.push_back(Object()
                                            .raw("component", simdjson::minify(c))
                                            .raw("variable", simdjson::minify(v))
                                            .raw("variableAttribute", "[" + attribute.text() + "]")
                                            .str("attributeStatus", string_of(result, "attributeStatus"))
                                            .text());
                  }
                }
                return Object().raw("variables", maeve::array(variables)).text();
              });
}

void maeve_set_variables(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_variables_change_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  // The fork's items are 2.0.1's SetVariableDataType ({component, variable, attributeValue}).
  maeve::send(r, *station, {"SetVariables", Object().raw("setVariableData", maeve::array(body->variables)).text()}, 202,
              [](simdjson::dom::element answer, std::string_view) {
                std::vector<std::string> results;
                simdjson::dom::array list;
                if (answer["setVariableResult"].get(list) == simdjson::SUCCESS) {
                  for (auto result : list) {
                    simdjson::dom::element c, v;
                    if (result["component"].get(c) || result["variable"].get(v)) continue;
                    results.push_back(Object()
                                          .raw("component", simdjson::minify(c))
                                          .raw("variable", simdjson::minify(v))
                                          .str("attributeStatus", string_of(result, "attributeStatus"))
                                          .text());
                  }
                }
                return Object().raw("results", maeve::array(results)).text();
              });
}

void maeve_set_display_message(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_set_display_message_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  // The fork's DisplayMessage is 2.0.1's MessageInfoType.
  maeve::send(r, *station, {"SetDisplayMessage", Object().raw("message", body->message).text()});
}

void maeve_clear_display_message(Request& r) {
  auto id = maeve::path_int(r, 3, "messageId");
  if (!id) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"ClearDisplayMessage", Object().num("id", *id).text()});
}

void maeve_get_display_messages(Request& r) {
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  const auto request_id = maeve::new_request_id(r);
  Object out;
  out.num("requestId", request_id);
  if (auto state = r.query_value("state"); !state.empty()) out.str("state", state);
  if (auto priority = r.query_value("priority"); !priority.empty()) out.str("priority", priority);
  // The messages come in NotifyDisplayMessages, kept as events (GET .../events).
  maeve::send(r, *station, {"GetDisplayMessages", out.text()}, 202,
              [request_id](simdjson::dom::element answer, std::string_view) {
                return Object().str("status", string_of(answer, "status")).num("requestId", request_id).text();
              });
}

void maeve_set_variable_monitoring(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_set_variable_monitoring_request);
  if (!body) return;
  // The fork nests monitors under their variable; 2.0.1 has one SetMonitoringData per monitor.
  std::vector<std::string> data;
  simdjson::dom::parser item_parser;
  for (std::size_t i = 0; i < body->monitoring_data.size(); ++i) {
    simdjson::dom::object item;
    simdjson::dom::element c, v;
    simdjson::dom::array monitors;
    const auto at = "/monitoringData/" + std::to_string(i);
    if (item_parser.parse(body->monitoring_data[i]).get(item) || item["component"].get(c) || item["variable"].get(v) ||
        item["variableMonitoring"].get(monitors))
      return r.respond(error_response(400, at + ": expected {component, variable, variableMonitoring}"));
    for (auto monitor : monitors) {
      simdjson::dom::object m;
      if (monitor.get(m)) return r.respond(error_response(400, at + "/variableMonitoring: expected objects"));
      std::string one = "{";
      for (auto [key, value] : m) {
        one += maeve::quoted(key) + ":" + simdjson::minify(value) + ",";
      }
      one += "\"component\":" + simdjson::minify(c) + ",\"variable\":" + simdjson::minify(v) + "}";
      data.push_back(std::move(one));
    }
  }
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"SetVariableMonitoring", Object().raw("setMonitoringData", maeve::array(data)).text()}, 202,
              [](simdjson::dom::element answer, std::string_view) {
                std::vector<std::string> results;
                simdjson::dom::array list;
                if (answer["setMonitoringResult"].get(list) == simdjson::SUCCESS) {
                  for (auto result : list) {
                    Object out;
                    std::int64_t monitor_id = 0;
                    if (result["id"].get(monitor_id) == simdjson::SUCCESS) out.num("id", monitor_id);
                    out.str("status", string_of(result, "status"));
                    simdjson::dom::element info;
                    if (result["statusInfo"].get(info) == simdjson::SUCCESS)
                      out.str("statusInfo", string_of(info, "reasonCode"));
                    // What the fork's shape leaves out, as the station sent it.
                    for (auto key : {"type", "severity", "component", "variable"}) {
                      simdjson::dom::element e;
                      if (result[key].get(e) == simdjson::SUCCESS) out.raw(key, simdjson::minify(e));
                    }
                    results.push_back(out.text());
                  }
                }
                return Object().raw("results", maeve::array(results)).text();
              });
}

void maeve_clear_variable_monitoring(Request& r) {
  auto id = maeve::path_int(r, 3, "monitorId");
  if (!id) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"ClearVariableMonitoring", Object().raw("id", "[" + std::to_string(*id) + "]").text()});
}

void maeve_set_monitoring_base(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_set_monitoring_base_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"SetMonitoringBase", Object().str("monitoringBase", body->monitoring_base).text()});
}

void maeve_set_monitoring_level(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_set_monitoring_level_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  maeve::send(r, *station, {"SetMonitoringLevel", Object().num("severity", body->severity).text()});
}

void maeve_get_monitoring_report(Request& r) {
  simdjson::dom::parser parser;
  auto body = maeve::decode_body(r, parser, bodies::decode_maeve_get_monitoring_report_request);
  if (!body) return;
  auto station = connected_station(r, r.segments.at(1));
  if (!station) return;
  Object out;
  out.num("requestId", body->request_id);
  if (body->component_variable && *body->component_variable != "[]")
    out.raw("componentVariable", *body->component_variable);
  maeve::send(r, *station, {"GetMonitoringReport", out.text()});
}

}  // namespace evbroker::actors::api
