// RFC 3339 date-times: what is accepted strictly, what only leniently, and the canonical output.

#include <catch2/catch.hpp>

#include "protocol/date_time.hpp"

using evbroker::ocpp::DateTime;

TEST_CASE("strict RFC 3339 date-times parse to UTC milliseconds", "[date_time]") {
  struct Case {
    std::string_view text;
    std::string_view utc;
  };
  const Case cases[] = {
      {"2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"},
      {"2024-05-01t12:00:00z", "2024-05-01T12:00:00.000Z"},
      {"2024-05-01T12:00:00.5Z", "2024-05-01T12:00:00.500Z"},
      {"2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123Z"},
      {"2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000Z"},
      {"2024-05-01T00:30:00-01:15", "2024-05-01T01:45:00.000Z"},
      {"2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"},
      {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z"},  // a leap second
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto t = DateTime::parse(c.text);
    REQUIRE(t.has_value());
    CHECK(t->to_string() == c.utc);
  }
}

TEST_CASE("invalid date-times are refused", "[date_time]") {
  for (std::string_view text :
       {"", "2024-05-01", "2024-05-01T12:00Z", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2:00",
        "2024-05-01 12:00:00Z", "24-05-01T12:00:00Z", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00+02:00:00",
        "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"}) {
    INFO(text);
    CHECK_FALSE(DateTime::parse(text).has_value());
  }
}

TEST_CASE("lenient parsing accepts a missing offset and a space separator", "[date_time]") {
  CHECK(DateTime::parse("2024-05-01T12:00:00", true)->to_string() == "2024-05-01T12:00:00.000Z");
  CHECK(DateTime::parse("2024-05-01 12:00:00.25", true)->to_string() == "2024-05-01T12:00:00.250Z");
  CHECK_FALSE(DateTime::parse("2024-05-01", true).has_value());
}

TEST_CASE("instants order and round-trip through text", "[date_time]") {
  auto a = DateTime::from_unix_ms(1714564800123);
  CHECK(a.to_string() == "2024-05-01T12:00:00.123Z");
  CHECK(DateTime::parse(a.to_string()) == a);
  CHECK(DateTime::from_unix_ms(0) < a);
  CHECK(DateTime::from_unix_ms(-1).to_string() == "1969-12-31T23:59:59.999Z");
}
