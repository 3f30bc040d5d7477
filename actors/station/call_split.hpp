#pragma once
// Every CSMS request obeys the limits the station reported (OCPP 2.0.1 B06.FR.05, B05, B08, N04, N06.FR.04;
// 1.6 GetConfigurationMaxKeys): a request carrying more items than the station takes in one message is
// sent as several parts, one at a time, and their answers are merged into one answer of the whole.
//
// The limits come from the station's device model (DeviceDataCtrlr / MonitoringCtrlr ItemsPerMessage
// and BytesPerMessage, instance = the action; NotifyReport keeps them, actors/blocks/device_model.cpp).
// When the station has not reported them, the sender reads them first (limits_request()).
// Plain logic over typed calls (tests/actors/call_split_test.cpp); the API sends the parts
// (actors/api/split_send.cpp).

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "actors/core/messages.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

/// How much one CALL of an action may carry; 0: no limit known.
struct MessageLimits {
  std::size_t items = 0;
  std::size_t bytes = 0;
};

/// The Actual value of <component>.<variable> (instance `instance`) in the station's device model, as
/// a positive number, if it reported one.
std::optional<std::size_t> reported_device_limit(const storage::Reader& reader, std::string_view station,
                                                 std::string_view component, std::string_view variable,
                                                 std::string_view instance);

/// The number of items `call` carries when it is a request that can be split (GetVariables,
/// SetVariables, GetReport, SetVariableMonitoring, ClearVariableMonitoring; 1.6 GetConfiguration with
/// keys), else nullopt.
std::optional<std::size_t> splittable_items(const CsmsCall& call);

/// What the station reported in its device model for the call's action, if anything (2.0.1).
std::optional<MessageLimits> reported_limits(const storage::Reader& reader, std::string_view station,
                                             const CsmsCall& call);

/// The request that reads the limits of `call`'s action from the station (2.0.1 GetVariables of
/// ItemsPerMessage and BytesPerMessage; 1.6 GetConfiguration of GetConfigurationMaxKeys).
CsmsCall limits_request(const CsmsCall& call);
/// The limits that request's answer gives (absent or unusable values: no limit).
MessageLimits limits_from(const CsmsCall& call, const CsmsCallResult& answer);

/// The parts `call` is sent as within `limits`, in order; one part, the call itself, when it fits
/// (a single item over the byte limit still goes, alone: it cannot be made smaller).
std::vector<CsmsCall> split_call(const CsmsCall& call, const MessageLimits& limits);

/// One answer of the whole from the answers of its `total` parts, in order (the parts after one that
/// failed are not sent): the items of every part's answer together. A part that did not get a
/// CALLRESULT decides the answer; its description says which part of how many it was and how many
/// had been answered (their changes stand).
CsmsCallResult merge_answers(const CsmsCall& whole, const std::vector<CsmsCallResult>& answers, std::size_t total);

}  // namespace evbroker::actors
