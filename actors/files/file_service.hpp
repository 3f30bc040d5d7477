#pragma once
// The files listener (--files-addr): what stations fetch and send outside OCPP. They download the
// firmware images UpdateFirmware points them to (GET /firmware/<token>/<name>, streamed from disk)
// and upload the logs GetLog and 1.6 GetDiagnostics ask for (POST or PUT /uploads/<station>/<token>/
// [name], the body raw or multipart/form-data as most stations send it). The tokens are the file
// store's (file_store.hpp); a wrong one is 404, not 403, so nothing tells what exists.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "actors/files/file_store.hpp"
#include "protocol/transport/http_server.hpp"

namespace evbroker::actors {

class FileService {
 public:
  FileService(FileStore& store, std::shared_ptr<spdlog::logger> log);
  void handle(transport::HttpRequest request, transport::Responder respond);
  /// The largest body the listener reads for this request (HttpServerOptions::body_limit_for):
  /// an upload may be max_upload_bytes (plus what multipart adds), nothing else has a body.
  std::size_t body_limit_for(const transport::HttpRequest& head) const;

 private:
  void download(const transport::HttpRequest& request, std::string_view token, std::string_view name,
                const transport::Responder& respond);
  void upload(transport::HttpRequest& request, std::string_view station, std::string_view token, std::string_view name,
              const transport::Responder& respond);

  FileStore& store_;
  std::shared_ptr<spdlog::logger> log_;
};

/// One file of a multipart/form-data body: its name (the part's filename, "" when it has none) and
/// its bytes (a view into the body).
struct MultipartFile {
  std::string filename;
  std::string_view content;
};
/// The first part with a filename (else the first part) of `body`, given the request's Content-Type;
/// nullopt when the body is not well-formed multipart.
std::optional<MultipartFile> first_multipart_file(std::string_view content_type, std::string_view body);

}  // namespace evbroker::actors
