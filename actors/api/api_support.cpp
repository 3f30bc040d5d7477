#include "actors/api/api_support.hpp"

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
  std::string body;
  ocpp::JsonWriter w(body);
  w.raw("{\"status\":");
  w.string(reason_phrase(status));
  w.raw(",\"error\":");
  w.string(message);
  w.raw('}');
  return json_response(status, std::move(body));
}

transport::HttpResponse empty_response(int status) {
  transport::HttpResponse r;
  r.status = status;
  r.content_type.clear();
  return r;
}

std::optional<simdjson::dom::object> parse_body(Request& request, simdjson::dom::parser& parser) {
  simdjson::dom::element root;
  if (auto error = parser.parse(request.http.body).get(root)) {
    request.respond(error_response(400, std::string("the body is not valid JSON: ") + simdjson::error_message(error)));
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    request.respond(error_response(400, "the body must be a JSON object"));
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

bool valid_station_id(std::string_view id, std::string& error) {
  if (id.empty() || id.size() > 48) {
    error = "station id must be 1 to 48 characters";
    return false;
  }
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f || c == '/') {
      error = "station id must not contain '/' or control characters";
      return false;
    }
  }
  return true;
}

}  // namespace evbroker::actors::api
