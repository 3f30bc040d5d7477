#pragma once
// What can be wrong with an OCPP payload, independent of the OCPP version. error_codes.hpp maps each
// kind to the CALLERROR code of a version; this file knows nothing about OCPP error names.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/expected.hpp"
#include "protocol/json_check.hpp"

namespace evbroker::ocpp {

enum class DecodeErrc : std::uint8_t {
  invalid_json,          // not well-formed JSON, or content after the payload
  wrong_type,            // JSON type differs from the schema's (e.g. "somestring": 12)
  integer_out_of_range,  // a number the node cannot represent: an integer beyond 64 bits, or a
                         // number beyond the range of a double (1e400); valid JSON, wrong range
  missing_property,      // a required property is absent
  unknown_property,      // a property the schema does not define (additionalProperties: false)
  duplicate_property,    // the same property twice in one object
  invalid_enum_value,    // a string that is not one of the schema's enum values
  string_too_long,       // longer than maxLength (counted in Unicode code points)
  below_minimum,         // number < minimum
  above_maximum,         // number > maximum
  not_multiple_of,       // number is not a multiple of multipleOf
  too_few_items,         // array shorter than minItems
  too_many_items,        // array longer than maxItems
  invalid_date_time,     // not an RFC 3339 date-time
  invalid_uri,           // not an absolute URI
  too_deep,              // objects and arrays nested deeper than DecodeOptions::max_depth
};

/// A short phrase for logs and error descriptions ("missing required property").
std::string_view describe(DecodeErrc code) noexcept;

struct DecodeError {
  DecodeErrc code = DecodeErrc::invalid_json;
  std::string pointer;  // JSON pointer (RFC 6901) to the offending value; "" is the payload itself
  std::string detail;   // what exactly, e.g. "length 21 exceeds maxLength 20"

  /// "<pointer>: <describe(code)>: <detail>", the text that goes into a CALLERROR description.
  std::string message() const;
  bool operator==(const DecodeError&) const = default;
};

struct DecodeOptions {
  /// Tolerant mode for off-spec chargers: unknown properties are skipped, over-long strings are
  /// kept, an unknown enum value in an optional property leaves it empty, and date-times may lack
  /// an offset (UTC is assumed) or use a space for 'T'. Each violation let through is reported.
  bool tolerant = false;
  /// Nesting depth allowed in the payload (its root object is level 1; json_check.hpp): deeper
  /// payloads are refused (too_deep) before anything recurses on them. 0 means no limit.
  std::size_t max_depth = kDefaultMaxJsonDepth;
};

/// On success: the violations tolerant mode let through (always empty in strict mode).
using Tolerated = std::vector<DecodeError>;
using DecodeResult = Expected<Tolerated, DecodeError>;

}  // namespace evbroker::ocpp
