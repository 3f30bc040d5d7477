#include "actors/files/file_service.hpp"

#include <utility>
#include <vector>

namespace evbroker::actors {
namespace {

transport::HttpResponse plain(int status, std::string text) {
  transport::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(text) + "\n";
  return response;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

/// The value of `key` in a header's parameters (`multipart/form-data; boundary="x"`), unquoted.
std::string parameter(std::string_view header, std::string_view key) {
  const auto lowered = lower(header);
  std::size_t at = 0;
  while ((at = lowered.find(key, at)) != std::string::npos) {
    const bool starts = at == 0 || lowered[at - 1] == ';' || lowered[at - 1] == ' ' || lowered[at - 1] == '\t';
    const auto equals = at + key.size();
    if (!starts || equals >= header.size() || header[equals] != '=') {
      at = equals;
      continue;
    }
    auto value = header.substr(equals + 1);
    if (!value.empty() && value.front() == '"') {
      value.remove_prefix(1);
      return std::string(value.substr(0, value.find('"')));
    }
    return std::string(value.substr(0, value.find_first_of("; \t")));
  }
  return {};
}

}  // namespace

std::optional<MultipartFile> first_multipart_file(std::string_view content_type, std::string_view body) {
  const auto boundary = parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) return std::nullopt;
  const std::string delimiter = "--" + boundary;
  std::optional<MultipartFile> first;
  auto at = body.find(delimiter);
  while (at != std::string_view::npos) {
    auto rest = body.substr(at + delimiter.size());
    if (rest.substr(0, 2) == "--") break;  // the closing delimiter
    const auto line_end = rest.find("\r\n");
    if (line_end == std::string_view::npos) return first;
    rest.remove_prefix(line_end + 2);
    const auto headers_end = rest.find("\r\n\r\n");
    if (headers_end == std::string_view::npos) return first;
    const auto headers = rest.substr(0, headers_end);
    const auto content_start = rest.substr(headers_end + 4);
    const auto next = content_start.find("\r\n" + delimiter);
    if (next == std::string_view::npos) return first;  // a part without its end: not well-formed
    MultipartFile part;
    part.content = content_start.substr(0, next);
    for (std::size_t line = 0; line < headers.size();) {
      auto end = headers.find("\r\n", line);
      if (end == std::string_view::npos) end = headers.size();
      const auto header = headers.substr(line, end - line);
      if (lower(header.substr(0, 20)) == "content-disposition:") part.filename = parameter(header, "filename");
      line = end + 2;
    }
    if (!part.filename.empty()) return part;
    if (!first) first = part;
    at = static_cast<std::size_t>(content_start.data() - body.data()) + next + 2;
  }
  return first;
}

FileService::FileService(FileStore& store, std::shared_ptr<spdlog::logger> log) : store_(store), log_(std::move(log)) {}

std::size_t FileService::body_limit_for(const transport::HttpRequest& head) const {
  const auto segments = split_path(head.path);
  const bool upload = (head.method == "POST" || head.method == "PUT") && !segments.empty() && segments[0] == "uploads";
  return upload ? static_cast<std::size_t>(store_.limits().max_upload_bytes) + 64 * 1024 : 0;
}

void FileService::handle(transport::HttpRequest request, transport::Responder respond) {
  const auto segments = split_path(request.path);
  if (segments.size() == 3 && segments[0] == "firmware" && (request.method == "GET" || request.method == "HEAD"))
    return download(request, segments[1], segments[2], respond);
  if ((segments.size() == 3 || segments.size() == 4) && segments[0] == "uploads" &&
      (request.method == "POST" || request.method == "PUT")) {
    std::string station;
    if (!transport::percent_decode(segments[1], station)) return respond(plain(400, "malformed station id"));
    const std::string name = segments.size() == 4 ? std::string(segments[3]) : std::string();
    return upload(request, station, segments[2], name, respond);
  }
  respond(plain(404, "not found"));
}

void FileService::download(const transport::HttpRequest& request, std::string_view token, std::string_view name,
                           const transport::Responder& respond) {
  if (!FileStore::valid_name(name) || !store_.valid_token(store_.firmware_token(name), token) ||
      !store_.firmware_file(name))
    return respond(plain(404, "not found"));
  transport::HttpResponse response;
  response.content_type = "application/octet-stream";
  response.file_path = store_.firmware_path(name);
  log_->info("firmware {} to {}", name, request.remote_address);
  respond(std::move(response));
}

void FileService::upload(transport::HttpRequest& request, std::string_view station, std::string_view token,
                         std::string_view name, const transport::Responder& respond) {
  if (!store_.valid_token(store_.upload_token(station), token)) return respond(plain(404, "not found"));
  std::string filename(name);
  std::string_view content = request.body;
  const auto content_type = request.header("content-type");
  if (lower(content_type).rfind("multipart/form-data", 0) == 0) {
    auto file = first_multipart_file(content_type, request.body);
    if (!file) return respond(plain(400, "malformed multipart/form-data body"));
    if (!file->filename.empty()) filename = file->filename;
    content = file->content;
  } else if (auto disposition = parameter(request.header("content-disposition"), "filename"); !disposition.empty()) {
    filename = disposition;
  }
  StoredFile stored;
  if (auto problem = store_.put_upload(station, filename.empty() ? "upload.bin" : filename, content, stored)) {
    log_->warn("upload from {}: {}", station, *problem);
    return respond(plain(problem->find("more than") != std::string::npos ? 413 : 500, *problem));
  }
  log_->info("upload from {}: {} ({} bytes)", station, stored.name, stored.size);
  respond(plain(201, stored.name));
}

}  // namespace evbroker::actors
