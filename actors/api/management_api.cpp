#include "actors/api/management_api.hpp"

#include <algorithm>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "actors/api/api_routes.hpp"
#include "actors/api/api_support.hpp"
#include "actors/api/openapi_document.hpp"
#include "actors/core/metrics.hpp"
#include "actors/files/file_store.hpp"

namespace evbroker::actors {
namespace {

std::vector<std::string> split_path(std::string_view path, bool& ok) {
  std::vector<std::string> segments;
  ok = true;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string decoded;
    if (!transport::percent_decode(path.substr(start, end - start), decoded)) ok = false;
    segments.push_back(std::move(decoded));
    start = end + 1;
  }
  return segments;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// "Bearer <token>": the scheme is case-insensitive (RFC 9110 11.1), the token is compared in
/// constant time.
bool token_matches(std::string_view header, std::string_view token) {
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() != kBearer.size() + token.size() ||
      !equals_ignoring_case(header.substr(0, kBearer.size()), kBearer))
    return false;
  return CRYPTO_memcmp(header.data() + kBearer.size(), token.data(), token.size()) == 0;
}

}  // namespace

ManagementApi::ManagementApi(caf::actor_system& system, NodeContextPtr ctx, ApiOptions options)
    : system_(system), ctx_(std::move(ctx)), options_(std::move(options)) {}

std::size_t ManagementApi::body_limit_for(const transport::HttpRequest& head, std::size_t default_limit) const {
  constexpr std::string_view kFirmware = "/api/v0/firmware/";
  const bool image = head.method == "PUT" && head.path.compare(0, kFirmware.size(), kFirmware) == 0;
  const bool allowed = options_.token.empty() || token_matches(head.header("authorization"), options_.token);
  if (!image || !allowed || !ctx_->files) return default_limit;
  return std::max<std::size_t>(default_limit, ctx_->files->limits().max_firmware_bytes);
}

void ManagementApi::handle(transport::HttpRequest http, transport::Responder respond) {
  using api::error_response;
  // HEAD is GET without the body (RFC 9110 9.3.2; the HTTP server drops the body): load balancers
  // and monitors probe /health with either.
  const std::string method = http.method == "HEAD" ? std::string("GET") : http.method;
  const std::string path = http.path;

  if (method == "GET" && path == "/health") {
    if (!options_.health) return respond(api::json_response(200, "{\"status\":\"OK\"}"));
    auto [status, body] = options_.health();
    return respond(api::json_response(status, std::move(body)));
  }
  if (!options_.token.empty() && !token_matches(http.header("authorization"), options_.token)) {
    auto response = error_response(401, "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return respond(std::move(response));
  }
  if (method == "GET" && path == "/metrics") {
    transport::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = ctx_->metrics->render(*ctx_->directory, ctx_->committer->stats());
    if (options_.extra_metrics) response.body += options_.extra_metrics();
    return respond(std::move(response));
  }
  if (method == "GET" && path == "/api/openapi.json")
    return respond(api::json_response(200, std::string(openapi_document())));

  constexpr std::string_view kPrefix = "/api/v0/";
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return respond(error_response(404, "no such endpoint: " + path));
  bool ok = true;
  api::Request r{std::move(http), split_path(std::string_view(path).substr(kPrefix.size()), ok), std::move(respond),
                 &system_, ctx_};
  if (!ok) return r.respond(error_response(400, "malformed percent-encoding in the path"));
  std::string allowed;
  if (const auto* route = api::match_v0_route(method, r.segments, allowed)) return route->handler(r);
  if (!allowed.empty()) {
    // The path exists, not with this method (RFC 9110 15.5.6: say which methods it has).
    auto response = error_response(405, method + " is not a method of " + path + "; it has " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return r.respond(std::move(response));
  }
  r.respond(error_response(404, "no such endpoint: " + method + " " + path));
}

}  // namespace evbroker::actors
