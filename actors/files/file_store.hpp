#pragma once
// The files the node keeps beside its store: firmware images operators upload through the API
// (served to stations by the files listener, file_service.hpp) and the logs and diagnostics stations
// upload (GetLog, 1.6 GetDiagnostics), kept per station. Plain files under <data-dir>/files:
//
//   firmware/<name>           an image, written whole (temporary file, fsync, rename)
//   firmware-sha256/<name>    its SHA-256, hex, computed once when it was stored
//   uploads/<hex station id>/<UTC time>-<name>   what a station uploaded, oldest first by name
//   secret                    32 random bytes (hex): the key of the URL tokens
//
// The URLs stations get carry a token, HMAC-SHA256(secret, what the URL opens): an image's URL
// cannot be guessed from its name, and a station can upload only into its own folder. The tokens
// need no state, so URLs handed out before a restart still work after it.
//
// Thread-safe: the API and the files listener call it from any I/O thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evbroker::actors {

struct FileLimits {
  std::uint64_t max_firmware_bytes = 256ull << 20;         // one image
  std::uint64_t max_upload_bytes = 64ull << 20;            // one station upload
  std::uint64_t station_uploads_max_bytes = 256ull << 20;  // all of one station's uploads: oldest go first
};

struct StoredFile {
  std::string name;
  std::uint64_t size = 0;
  std::string sha256;    // hex; firmware only
  std::string modified;  // RFC 3339, UTC
};

class FileStore {
 public:
  /// Opens (and makes) `directory`; nullptr with `error` set when it cannot.
  static std::unique_ptr<FileStore> open(const std::string& directory, FileLimits limits, std::string& error);

  const FileLimits& limits() const { return limits_; }

  /// A name an image may have: 1-128 of A-Z a-z 0-9 . _ - , not starting with a dot.
  static bool valid_name(std::string_view name);

  // ---- firmware ------------------------------------------------------------------------------
  /// Stores (or replaces) an image. The error says what is wrong (a bad name, too large, a disk error).
  std::optional<std::string> put_firmware(std::string_view name, std::string_view bytes, StoredFile& stored);
  std::vector<StoredFile> firmware() const;
  std::optional<StoredFile> firmware_file(std::string_view name) const;
  bool remove_firmware(std::string_view name);
  /// Where an image is on disk (for streaming it); "" for a bad name.
  std::string firmware_path(std::string_view name) const;
  /// The token of an image's URL: /firmware/<token>/<name>.
  std::string firmware_token(std::string_view name) const;

  /// The base URL stations are given (--files-url, or the files listener's address once bound).
  void set_public_url(std::string url);
  std::string public_url() const;
  /// The URL a station downloads an image from: <public url>/firmware/<token>/<name>.
  std::string firmware_url(std::string_view name) const;
  /// The URL a station uploads its logs to: <public url>/uploads/<station, percent-encoded>/<token>/.
  std::string upload_url(std::string_view station) const;

  // ---- station uploads -----------------------------------------------------------------------
  /// The token of a station's upload URL: /uploads/<station>/<token>/.
  std::string upload_token(std::string_view station) const;
  bool valid_token(std::string_view expected, std::string_view given) const;
  /// Keeps what a station uploaded under a name made from `filename` (cleaned) and the time; then
  /// removes the station's oldest uploads while they take more than station_uploads_max_bytes.
  std::optional<std::string> put_upload(std::string_view station, std::string_view filename, std::string_view bytes,
                                        StoredFile& stored);
  std::vector<StoredFile> uploads(std::string_view station) const;
  std::optional<StoredFile> upload_file(std::string_view station, std::string_view name) const;
  std::string upload_path(std::string_view station, std::string_view name) const;
  bool remove_upload(std::string_view station, std::string_view name);

 private:
  FileStore(std::string directory, FileLimits limits, std::string secret);
  std::string token_of(std::string_view what) const;
  std::string station_folder(std::string_view station) const;

  const std::string directory_;
  const FileLimits limits_;
  const std::string secret_;
  mutable std::mutex mutex_;  // one writer at a time per store: names, the upload quota
  std::string public_url_;    // under mutex_
};

/// "firmware.bin" from an uploaded file's name however it came ("C:\\logs\\a b.tar.gz" -> "a_b.tar.gz").
std::string clean_file_name(std::string_view filename);

}  // namespace evbroker::actors
