// libFuzzer target over the websocket upgrade request, the first bytes any client sends: the raw
// bytes through Beast's http::request_parser<http::empty_body> with the server's 16 KiB header
// limit (protocol/transport/ws_session.hpp, ws_session_handshake.ipp), then what describe_request
// does with a parsed request (parse_station_path, append_subprotocols, parse_basic_auth,
// websocket::is_upgrade), and what a refusal writes. The Beast-free helpers
// (protocol/transport/upgrade_parse.hpp) also get every line of the input directly, whether or not
// Beast accepts it, and parse_query (the API's query strings) gets the target's query.
//
// Properties (a failure traps):
//   - base64: what decodes re-encodes (padded or not) to text that decodes to the same bytes;
//   - Basic credentials: "Basic " + base64(user ":" password) parses to the same pair;
//   - station path: the id is non-empty without '/' or control characters, and "/ws/" + its
//     percent-encoding parses to the same id;
//   - subprotocol tokens are non-empty, trimmed and free of commas.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "protocol/transport/http_server.hpp"
#include "protocol/transport/upgrade_parse.hpp"
#include "tests/fuzz/fuzz_mutator.hpp"

EVBROKER_FUZZ_CUSTOM_MUTATOR(evbroker::fuzz::Dialect::http)

namespace {

namespace http = boost::beast::http;
namespace detail = evbroker::transport::detail;

/// ws_session.hpp's kHeaderLimit.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

std::string base64_encode(std::string_view in, bool pad) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::string percent_encode_all(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void station_path(std::string_view target) {
  auto id = detail::parse_station_path(target);
  if (!id) return;
  require(!id->empty());
  for (char c : *id) require(c != '/' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  auto again = detail::parse_station_path("/ws/" + percent_encode_all(*id));
  require(again && *again == *id);
}

void subprotocols(std::string_view value) {
  std::vector<std::string> tokens;
  detail::append_subprotocols(value, tokens);
  for (const auto& t : tokens) {
    require(!t.empty() && t.find(',') == std::string::npos);
    require(t.front() != ' ' && t.front() != '\t' && t.back() != ' ' && t.back() != '\t');
  }
}

void credentials(std::string_view value) {
  if (auto decoded = detail::base64_decode(value)) {
    for (bool pad : {true, false}) {
      auto again = detail::base64_decode(base64_encode(*decoded, pad));
      require(again && *again == *decoded);
    }
  }
  auto auth = detail::parse_basic_auth(value);
  if (!auth) return;
  require(auth->first.find(':') == std::string::npos);
  auto again = detail::parse_basic_auth("Basic " + base64_encode(auth->first + ":" + auth->second, true));
  require(again && *again == *auth);
}

/// The helpers on every line of the input, as if it were a target or a header value.
void lines(std::string_view input) {
  std::size_t begin = 0;
  while (begin <= input.size()) {
    std::size_t end = input.find('\n', begin);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto colon = line.find(':');
    const std::string_view value = colon == std::string_view::npos ? line : line.substr(colon + 1);
    if (begin == 0) {  // a request line: "GET <target> HTTP/1.1"
      const auto sp = line.find(' ');
      const std::string_view rest = sp == std::string_view::npos ? line : line.substr(sp + 1);
      station_path(rest.substr(0, rest.find(' ')));
    }
    subprotocols(value);
    credentials(value);
    begin = end + 1;
  }
}

void beast(std::string_view input) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kHeaderLimit);
  boost::beast::error_code ec;
  boost::asio::const_buffer buffer(input.data(), input.size());
  // The whole input is what the socket delivered before it closed.
  while (!parser.is_done()) {
    const std::size_t used = parser.put(buffer, ec);
    buffer += used;
    if (ec == http::error::need_more) ec = {};
    if (ec) break;
    if (used == 0 || buffer.size() == 0) {
      if (!parser.is_done()) parser.put_eof(ec);
      break;
    }
  }
  if (ec || !parser.is_header_done()) {
    (void)detail::refusal_response(400, 11, "malformed HTTP request: " + ec.message());
    return;
  }
  const auto& req = parser.get();
  const std::string target(req.target());
  station_path(target);
  const auto q = target.find('?');
  if (q != std::string::npos) (void)evbroker::transport::parse_query(std::string_view(target).substr(q + 1));
  const auto offers = req.equal_range(http::field::sec_websocket_protocol);
  for (auto it = offers.first; it != offers.second; ++it) subprotocols(it->value());
  if (auto auth = req.find(http::field::authorization); auth != req.end()) credentials(auth->value());
  const bool upgrade = boost::beast::websocket::is_upgrade(req);
  (void)detail::refusal_response(upgrade ? 401 : 426, req.version(), "refused: " + target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  beast(input);
  lines(input);
  return 0;
}
