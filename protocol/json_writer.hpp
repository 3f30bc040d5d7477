#pragma once
// Appends compact JSON to a caller-owned std::string. The generated encoders write through it; keeping
// the buffer outside lets a hot loop reuse one allocation for every message.

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/date_time.hpp"
#include "protocol/json_value.hpp"

namespace evbroker::ocpp {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) noexcept : out_(&out) {}

  /// Text that is already JSON (punctuation, pre-quoted keys, a raw value).
  void raw(std::string_view json) { out_->append(json); }
  void raw(char c) { out_->push_back(c); }

  /// A JSON string: quoted, with '"', '\\' and control characters escaped. Input should be UTF-8;
  /// what is not (a byte that no UTF-8 sequence allows, a truncated sequence) is written as U+FFFD,
  /// so the output is valid JSON whatever text a caller passes on.
  void string(std::string_view text);
  void integer(std::int64_t value);
  /// Shortest text that reads back to the same double. Non-finite values (not representable in
  /// JSON) are written as null.
  void number(double value);
  void boolean(bool value) { raw(value ? std::string_view{"true"} : std::string_view{"false"}); }
  void date_time(DateTime value);
  /// A value kept as JSON text; an empty one is written as null.
  void any(const AnyJson& value) { raw(value.json.empty() ? std::string_view{"null"} : std::string_view{value.json}); }

  std::string& buffer() noexcept { return *out_; }

 private:
  std::string* out_;
};

/// Encodes any generated message (its `encode` overload is found by argument-dependent lookup).
template <class Message>
std::string to_json(const Message& message) {
  std::string out;
  JsonWriter w(out);
  encode(w, message);
  return out;
}

}  // namespace evbroker::ocpp
