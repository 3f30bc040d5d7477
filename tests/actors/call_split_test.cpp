// Requests split within the limits a station reported, answers merged (actors/station/call_split.hpp;
// OCPP 2.0.1 B06.FR.05, B05, B08, N04, N06.FR.04; 1.6 GetConfigurationMaxKeys).

#include <catch2/catch.hpp>

#include "actors/station/call_split.hpp"
#include "tests/actors/both_stores.hpp"

using namespace evbroker;
using namespace evbroker::actors;
using namespace evbroker::actors::test;

namespace {

ocpp201::GetVariablesRequest get_variables(std::size_t n) {
  ocpp201::GetVariablesRequest request;
  for (std::size_t i = 0; i < n; ++i) {
    ocpp201::GetVariableDataType data;
    data.component.name = "Ctrlr" + std::to_string(i);
    data.variable.name = "Var" + std::to_string(i);
    request.getVariableData.push_back(std::move(data));
  }
  return request;
}

std::vector<std::size_t> sizes(const std::vector<CsmsCall>& parts) {
  std::vector<std::size_t> out;
  for (const auto& part : parts) out.push_back(splittable_items(part).value_or(0));
  return out;
}

template <class Response>
CsmsCallResult answered(Response response) {
  CsmsCallResult result;
  result.kind = CsmsCallResult::Kind::result;
  result.sent = true;
  result.payload = ocpp::to_json(response);
  if constexpr (requires { ocpp16::ActionOf<Response>::value; })
    result.response.v16 = std::make_shared<const ocpp16::Response>(std::move(response));
  else
    result.response.v201 = std::make_shared<const ocpp201::Response>(std::move(response));
  return result;
}

ocpp201::GetVariablesResponse results_for(const CsmsCall& part) {
  ocpp201::GetVariablesResponse response;
  for (const auto& data : std::get<ocpp201::GetVariablesRequest>(*part.request.v201).getVariableData) {
    ocpp201::GetVariableResultType result;
    result.attributeStatus = ocpp201::GetVariableStatusEnumType::Accepted;
    result.component = data.component;
    result.variable = data.variable;
    result.attributeValue = "v";
    response.getVariableResult.push_back(std::move(result));
  }
  return response;
}

/// NotifyReport data for DeviceDataCtrlr.<variable>[<instance>] = value, as the device model keeps it.
void report(BothStores& stores, std::string_view variable, std::string_view instance, std::string_view value) {
  stores.run([&](storage::WriteTxn& txn) {
    txn.put(storage::Table::device_model,
            storage::key({kStation, "DeviceDataCtrlr", std::string(variable) + ";" + std::string(instance)}),
            R"({"component":{"name":"DeviceDataCtrlr"},"variable":{"name":")" + std::string(variable) +
                R"(","instance":")" + std::string(instance) + R"("},"variableAttribute":[{"type":"Actual","value":")" +
                std::string(value) + R"("}]})");
    return std::string("{}");
  });
}

}  // namespace

TEST_CASE("TC_B_08 B06.FR.05: GetVariables over ItemsPerMessage goes in parts of at most that many", "[split]") {
  const auto call = CsmsCall::of(get_variables(5));
  CHECK(splittable_items(call) == 5u);
  CHECK(sizes(split_call(call, {.items = 2, .bytes = 0})) == std::vector<std::size_t>{2, 2, 1});
  CHECK(sizes(split_call(call, {.items = 5, .bytes = 0})) == std::vector<std::size_t>{5});
  CHECK(sizes(split_call(call, {})) == std::vector<std::size_t>{5});  // no limit known
  // The parts keep every item in order.
  const auto parts = split_call(call, {.items = 2, .bytes = 0});
  CHECK(std::get<ocpp201::GetVariablesRequest>(*parts[2].request.v201).getVariableData[0].component.name == "Ctrlr4");
}

TEST_CASE("BytesPerMessage cuts parts by their encoded size, one oversized item still goes alone", "[split]") {
  const auto call = CsmsCall::of(get_variables(6));
  const auto one = ocpp::to_json(get_variables(1)).size();
  const auto parts = split_call(call, {.items = 0, .bytes = one * 2});
  for (const auto& part : parts) CHECK(ocpp::encode_request(part.request).size() <= one * 2);
  std::size_t total = 0;
  for (auto n : sizes(parts)) total += n;
  CHECK(total == 6);
  CHECK(parts.size() >= 3);
  CHECK(sizes(split_call(call, {.items = 0, .bytes = 10})) == std::vector<std::size_t>(6, 1));
}

TEST_CASE("the parts' answers merge into one answer of the whole, in order", "[split]") {
  const auto call = CsmsCall::of(get_variables(5));
  const auto parts = split_call(call, {.items = 2, .bytes = 0});
  std::vector<CsmsCallResult> answers;
  for (const auto& part : parts) answers.push_back(answered(results_for(part)));
  const auto merged = merge_answers(call, answers, parts.size());
  REQUIRE(merged.kind == CsmsCallResult::Kind::result);
  const auto* response = merged.response.as<ocpp201::GetVariablesResponse>();
  REQUIRE(response);
  REQUIRE(response->getVariableResult.size() == 5);
  CHECK(response->getVariableResult[4].component.name == "Ctrlr4");
  CHECK(merged.payload == ocpp::to_json(*response));
}

TEST_CASE("a part without an answer decides the answer and says which part it was", "[split]") {
  const auto call = CsmsCall::of(get_variables(5));
  const auto parts = split_call(call, {.items = 2, .bytes = 0});
  REQUIRE(parts.size() == 3);
  CsmsCallResult timeout;
  timeout.kind = CsmsCallResult::Kind::timeout;
  timeout.sent = true;
  timeout.error_description = "no answer";
  const auto merged = merge_answers(call, {answered(results_for(parts[0])), timeout}, 3);
  CHECK(merged.kind == CsmsCallResult::Kind::timeout);
  CHECK(merged.error_description == "part 2 of 3: no answer (the 1 answered before it stand)");
}

TEST_CASE("1.6 GetConfiguration keys go in parts of GetConfigurationMaxKeys and the answers merge", "[split]") {
  ocpp16::GetConfigurationRequest request;
  request.key = std::vector<std::string>{"A", "B", "C"};
  const auto call = CsmsCall::of(request);
  const auto parts = split_call(call, {.items = 2, .bytes = 0});
  REQUIRE(sizes(parts) == std::vector<std::size_t>{2, 1});
  ocpp16::GetConfigurationResponse first, second;
  first.configurationKey = std::vector<ocpp16::KeyValue>{{"A", false, "1"}, {"B", true, "2"}};
  second.unknownKey = std::vector<std::string>{"C"};
  const auto merged = merge_answers(call, {answered(first), answered(second)}, 2);
  const auto* response = merged.response.as<ocpp16::GetConfigurationResponse>();
  REQUIRE(response);
  CHECK(response->configurationKey->size() == 2);
  CHECK(*response->unknownKey == std::vector<std::string>{"C"});
  // Without keys (all of them) there is nothing to split.
  CHECK_FALSE(splittable_items(CsmsCall::of(ocpp16::GetConfigurationRequest{})));
}

TEST_CASE("the limits come from the device model, or from the station's answer to reading them", "[split]") {
  BothStores stores;
  const auto call = CsmsCall::of(get_variables(3));
  CHECK_FALSE(reported_limits(stores.reader(), kStation, call));
  report(stores, "ItemsPerMessage", "GetVariables", "2");
  report(stores, "ItemsPerMessage", "SetVariables", "7");
  auto limits = reported_limits(stores.reader(), kStation, call);
  REQUIRE(limits);
  CHECK(limits->items == 2);
  CHECK(limits->bytes == 0);
  report(stores, "BytesPerMessage", "GetVariables", "not a number");
  CHECK(reported_limits(stores.reader(), kStation, call)->bytes == 0);

  const auto read = limits_request(call);
  CHECK(read.action.name() == "GetVariables");
  const auto& asked = std::get<ocpp201::GetVariablesRequest>(*read.request.v201).getVariableData;
  REQUIRE(asked.size() == 2);
  CHECK(asked[0].component.name == "DeviceDataCtrlr");
  CHECK(asked[0].variable.instance == std::optional<std::string>("GetVariables"));
  ocpp201::GetVariablesResponse answer;
  for (const auto& [name, value] : {std::pair{"ItemsPerMessage", "4"}, std::pair{"BytesPerMessage", "9000"}}) {
    ocpp201::GetVariableResultType result;
    result.attributeStatus = ocpp201::GetVariableStatusEnumType::Accepted;
    result.component.name = "DeviceDataCtrlr";
    result.variable.name = name;
    result.attributeValue = value;
    answer.getVariableResult.push_back(result);
  }
  const auto from_answer = limits_from(call, answered(answer));
  CHECK(from_answer.items == 4);
  CHECK(from_answer.bytes == 9000);
}
