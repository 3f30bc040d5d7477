#pragma once
// One simdjson on-demand parser per thread, with a reusable padded copy of its input: simdjson reads
// up to SIMDJSON_PADDING bytes past the end of the text, which a caller's string_view cannot promise.

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace evbroker::ocpp::detail {

class PaddedParser {
 public:
  /// Parses a copy of `text`. The document, and every view it hands out, lives until the next call
  /// on the same thread.
  simdjson::simdjson_result<simdjson::ondemand::document> iterate(std::string_view text);

  /// Start of the copy the last document was parsed from (to turn views into offsets).
  const char* base() const noexcept { return buffer_.get(); }

 private:
  simdjson::ondemand::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
};

/// The calling thread's parser.
PaddedParser& thread_parser();

}  // namespace evbroker::ocpp::detail
