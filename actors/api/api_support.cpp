#include "actors/api/api_support.hpp"

#include <algorithm>
#include <vector>

#include "actors/api/generated/api_bodies.hpp"
#include "protocol/date_time.hpp"
#include "protocol/json_writer.hpp"

namespace evbroker::actors::api {

std::string Request::query_value(std::string_view name) const {
  for (auto& [key, value] : transport::parse_query(http.query))
    if (key == name) return value;
  return {};
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

transport::HttpResponse json_response(int status, std::string body) {
  transport::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

transport::HttpResponse error_response(int status, std::string_view message) {
  return json_response(status, ocpp::to_json(bodies::Status{std::string(reason_phrase(status)), std::string(message)}));
}

transport::HttpResponse empty_response(int status) {
  transport::HttpResponse r;
  r.status = status;
  r.content_type.clear();
  return r;
}

namespace {

/// The JSON pointer of the first object member whose key its object has already had, or nullopt.
/// Walks the document with a stack of its own: the input's depth is bounded by the parser's limit,
/// but no input should decide how deep this recurses.
std::optional<std::string> first_duplicate_key(simdjson::dom::element root) {
  struct Pending {
    simdjson::dom::element element;
    std::string pointer;
  };
  std::vector<Pending> stack{{root, ""}};
  std::vector<std::string_view> keys;
  while (!stack.empty()) {
    Pending at = std::move(stack.back());
    stack.pop_back();
    if (simdjson::dom::object object; at.element.get(object) == simdjson::SUCCESS) {
      keys.clear();
      for (auto [key, value] : object) {
        std::string pointer = at.pointer + "/" + std::string(key);
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) return pointer;
        keys.push_back(key);
        stack.push_back({value, std::move(pointer)});
      }
    } else if (simdjson::dom::array array; at.element.get(array) == simdjson::SUCCESS) {
      std::size_t index = 0;
      for (auto value : array) stack.push_back({value, at.pointer + "/" + std::to_string(index++)});
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<simdjson::dom::object> parse_body(Request& request, simdjson::dom::parser& parser) {
  const auto& body = request.http.body;
  const std::size_t max_depth = request.ctx->settings.max_json_depth;
  // The parser keeps this depth limit when it grows for a larger body.
  if (auto error = parser.allocate(std::max<std::size_t>(body.size(), 64), max_depth)) {
    request.respond(error_response(500, std::string("cannot parse the body: ") + simdjson::error_message(error)));
    return std::nullopt;
  }
  simdjson::dom::element root;
  if (auto error = parser.parse(body).get(root)) {
    if (error == simdjson::DEPTH_ERROR) {
      request.respond(error_response(
          400, "the body nests objects and arrays deeper than " + std::to_string(max_depth) + " levels"));
    } else {
      request.respond(
          error_response(400, std::string("the body is not valid JSON: ") + simdjson::error_message(error)));
    }
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    request.respond(error_response(400, "the body must be a JSON object"));
    return std::nullopt;
  }
  // As for stations (FormatViolation): a key given twice is refused, not "last one wins".
  if (auto duplicate = first_duplicate_key(root)) {
    request.respond(error_response(400, *duplicate + ": property appears more than once"));
    return std::nullopt;
  }
  return object;
}

namespace {

bool parse_size(std::string_view text, std::size_t& out) {
  if (text.empty() || text.size() > 9) return false;
  std::size_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<Page> parse_page(Request& request) {
  Page page;
  auto offset = request.query_value("offset");
  auto limit = request.query_value("limit");
  if (!offset.empty() && !parse_size(offset, page.offset)) {
    request.respond(error_response(400, "offset: expected an integer >= 0, got '" + offset + "'"));
    return std::nullopt;
  }
  if (!limit.empty() && (!parse_size(limit, page.limit) || page.limit < 1 || page.limit > 100)) {
    request.respond(error_response(400, "limit: expected an integer from 1 to 100, got '" + limit + "'"));
    return std::nullopt;
  }
  return page;
}

bool time_query(Request& r, std::string_view name, std::optional<std::int64_t>& out) {
  const auto text = r.query_value(name);
  if (text.empty()) return true;
  auto when = ocpp::DateTime::parse(text);
  if (!when) {
    r.respond(error_response(400, std::string(name) + ": expected an RFC 3339 date-time, got '" + text + "'"));
    return false;
  }
  out = when->unix_ms();
  return true;
}

}  // namespace evbroker::actors::api
