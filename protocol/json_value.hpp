#pragma once
// Schema holes that are not typed: values the schema leaves open, kept as their JSON text so they
// survive a decode/encode round trip unchanged.

#include <string>

namespace evbroker::ocpp {

/// A value of any JSON type (2.0.1 DataTransfer "data" has no type in the schema).
/// `json` holds one complete JSON value; empty means absent.
struct AnyJson {
  std::string json;
  bool operator==(const AnyJson&) const = default;
};

/// Members an open object carries beyond its schema's properties (2.0.1 CustomDataType allows any).
/// `json` holds them as `"name":value` pairs joined by commas, without braces; empty when none.
struct ExtraMembers {
  std::string json;
  bool empty() const noexcept { return json.empty(); }
  bool operator==(const ExtraMembers&) const = default;
};

}  // namespace evbroker::ocpp
