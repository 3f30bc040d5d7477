// The Beast-free helpers: URL decoding, query parsing, and what the listener reads from an
// upgrade request (station path, subprotocol offers, Basic credentials).
#include <catch2/catch.hpp>

#include "protocol/transport/http_server.hpp"
#include "protocol/transport/upgrade_parse.hpp"

using evbroker::transport::parse_query;
using evbroker::transport::percent_decode;
namespace detail = evbroker::transport::detail;

TEST_CASE("percent_decode decodes escapes and nothing else", "[url]") {
  std::string out;
  CHECK(percent_decode("CS%2D001%20a", out));
  CHECK(out == "CS-001 a");
  CHECK(percent_decode("a+b", out));
  CHECK(out == "a+b");  // '+' is only a space in a query (see parse_query)
  CHECK(percent_decode("%e2%82%AC", out));
  CHECK(out == "\xe2\x82\xac");
  CHECK(percent_decode("", out));
  CHECK(out.empty());
  CHECK(percent_decode("%00", out));
  CHECK(out == std::string(1, '\0'));
}

TEST_CASE("percent_decode rejects malformed escapes", "[url]") {
  std::string out;
  CHECK_FALSE(percent_decode("%", out));
  CHECK_FALSE(percent_decode("%4", out));
  CHECK_FALSE(percent_decode("abc%", out));
  CHECK_FALSE(percent_decode("%zz", out));
  CHECK_FALSE(percent_decode("%4g", out));
}

TEST_CASE("parse_query splits and decodes key/value pairs", "[url]") {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(parse_query("") == Pairs{});
  CHECK(parse_query("a=1&b") == Pairs{{"a", "1"}, {"b", ""}});
  CHECK(parse_query("offset=0&limit=10") == Pairs{{"offset", "0"}, {"limit", "10"}});
  CHECK(parse_query("q=two+words&r=%26%3D") == Pairs{{"q", "two words"}, {"r", "&="}});
  CHECK(parse_query("a=1&&b=2&") == Pairs{{"a", "1"}, {"b", "2"}});
  CHECK(parse_query("x=a=b") == Pairs{{"x", "a=b"}});  // split at the first '='
  CHECK(parse_query("my+key=v") == Pairs{{"my key", "v"}});
  CHECK(parse_query("bad=%zz") == Pairs{{"bad", "%zz"}});  // a malformed escape stays as sent
  CHECK(parse_query("=v") == Pairs{{"", "v"}});
}

TEST_CASE("the station path is exactly /ws/<id>", "[url]") {
  CHECK(detail::parse_station_path("/ws/CS001") == "CS001");
  CHECK(detail::parse_station_path("/ws/CS001?x=/y") == "CS001");
  CHECK(detail::parse_station_path("/ws/CS%20001") == "CS 001");
  CHECK(detail::parse_station_path("/ws/%C3%A9") == "\xc3\xa9");
  CHECK_FALSE(detail::parse_station_path("/ws/"));
  CHECK_FALSE(detail::parse_station_path("/ws"));
  CHECK_FALSE(detail::parse_station_path("/ws/?x"));
  CHECK_FALSE(detail::parse_station_path("/ws/a/b"));
  CHECK_FALSE(detail::parse_station_path("/ws/a/"));
  CHECK_FALSE(detail::parse_station_path("/ws/a%2Fb"));
  CHECK_FALSE(detail::parse_station_path("/ws/a%2fb"));
  CHECK_FALSE(detail::parse_station_path("/ws/a%0Ab"));
  CHECK_FALSE(detail::parse_station_path("/ws/a%7F"));
  CHECK_FALSE(detail::parse_station_path("/ws/%41%"));
  CHECK_FALSE(detail::parse_station_path("/WS/CS001"));
  CHECK_FALSE(detail::parse_station_path("/api/ws/CS001"));
  CHECK_FALSE(detail::parse_station_path("ws/CS001"));
}

TEST_CASE("subprotocol offers are comma separated and trimmed", "[url]") {
  std::vector<std::string> out;
  detail::append_subprotocols("ocpp2.0.1, ocpp1.6 ,\tocpp2.1", out);
  detail::append_subprotocols("", out);
  detail::append_subprotocols(" , ,x", out);
  CHECK(out == std::vector<std::string>{"ocpp2.0.1", "ocpp1.6", "ocpp2.1", "x"});
}

TEST_CASE("base64 decoding accepts the standard alphabet with or without padding", "[url]") {
  CHECK(detail::base64_decode("") == "");
  CHECK(detail::base64_decode("Zg==") == "f");
  CHECK(detail::base64_decode("Zm8=") == "fo");
  CHECK(detail::base64_decode("Zm9v") == "foo");
  CHECK(detail::base64_decode("Zm9vYg") == "foob");
  CHECK(detail::base64_decode("+/+/") == std::string("\xfb\xff\xbf"));
  CHECK_FALSE(detail::base64_decode("Zm9v!"));
  CHECK_FALSE(detail::base64_decode("Z"));
  CHECK_FALSE(detail::base64_decode("Zm=9v"));
  CHECK_FALSE(detail::base64_decode("Zm9v YmFy"));
}

TEST_CASE("Basic credentials split at the first colon", "[url]") {
  const auto creds = detail::parse_basic_auth("Basic Q1MwMDE6cGE6c3M=");  // CS001:pa:ss
  REQUIRE(creds);
  CHECK(creds->first == "CS001");
  CHECK(creds->second == "pa:ss");
  const auto lower = detail::parse_basic_auth("basic   Q1MwMDE6");  // "CS001:" empty password
  REQUIRE(lower);
  CHECK(lower->first == "CS001");
  CHECK(lower->second.empty());
  CHECK_FALSE(detail::parse_basic_auth("Basic bm9jb2xvbg=="));  // "nocolon"
  CHECK_FALSE(detail::parse_basic_auth("Bearer Q1MwMDE6cGFzcw=="));
  CHECK_FALSE(detail::parse_basic_auth("BasicQ1MwMDE6cGFzcw=="));
  CHECK_FALSE(detail::parse_basic_auth("Basic"));
  CHECK_FALSE(detail::parse_basic_auth("Basic %%%"));
}

TEST_CASE("HttpRequest::header finds the first header by its lower-case name", "[url]") {
  evbroker::transport::HttpRequest req;
  req.headers = {{"content-type", "text/plain"}, {"x-a", "1"}, {"x-a", "2"}};
  CHECK(req.header("x-a") == "1");
  CHECK(req.header("content-type") == "text/plain");
  CHECK(req.header("x-missing").empty());
}

TEST_CASE("a refused upgrade is answered with a complete HTTP response", "[url]") {
  CHECK(detail::refusal_response(401, 11, "bad credentials") ==
        "HTTP/1.1 401 Unauthorized\r\nServer: evbroker\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 16\r\nConnection: close\r\n\r\nbad credentials\n");
  const auto upgrade = detail::refusal_response(426, 10, "");
  CHECK(upgrade.rfind("HTTP/1.0 426 Upgrade Required\r\n", 0) == 0);
  CHECK(upgrade.find("\r\nUpgrade: websocket\r\n") != std::string::npos);
  CHECK(upgrade.find("\r\nContent-Length: 1\r\n") != std::string::npos);
}
