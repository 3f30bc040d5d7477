#include "actors/files/file_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace evbroker::actors {
namespace fs = std::filesystem;
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return hex(digest.data(), size);
}

std::string rfc3339(fs::file_time_type when) {
  const auto system = std::chrono::time_point_cast<std::chrono::seconds>(when - fs::file_time_type::clock::now() +
                                                                         std::chrono::system_clock::now());
  const std::time_t t = std::chrono::system_clock::to_time_t(system);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one, never a part.
std::optional<std::string> write_whole(const fs::path& path, std::string_view bytes) {
  const fs::path temporary = path.string() + ".part";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot write " + temporary.string() + ": " + std::strerror(errno);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = std::strerror(errno);
      ::close(fd);
      ::unlink(temporary.c_str());
      return "cannot write " + temporary.string() + ": " + error;
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (!synced) {
    fs::remove(temporary, ec);
    return "cannot sync " + temporary.string();
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return "cannot rename " + temporary.string() + ": " + ec.message();
  }
  return std::nullopt;
}

std::string read_small(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::optional<StoredFile> describe(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  StoredFile file;
  file.name = path.filename().string();
  file.size = fs::file_size(path, ec);
  file.modified = rfc3339(fs::last_write_time(path, ec));
  return file;
}

std::vector<StoredFile> list_folder(const fs::path& folder) {
  std::vector<StoredFile> out;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!FileStore::valid_name(name)) continue;  // a ".part" being written, or not ours
    if (auto file = describe(it->path())) out.push_back(std::move(*file));
  }
  std::sort(out.begin(), out.end(), [](const StoredFile& a, const StoredFile& b) { return a.name < b.name; });
  return out;
}

/// 20261204T035633.123Z: the time of an upload, to the millisecond, as part of its name.
std::string utc_stamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[24];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
  return std::string(text) + millis;
}

}  // namespace

bool FileStore::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  if (name.size() >= 5 && name.substr(name.size() - 5) == ".part") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::string clean_file_name(std::string_view filename) {
  if (const auto slash = filename.find_last_of("/\\"); slash != std::string_view::npos)
    filename = filename.substr(slash + 1);
  std::string out;
  for (char c : filename) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += plain ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  if (out.size() > 96) out.erase(0, out.size() - 96);  // keep the end: the extension tells what it is
  if (out.empty() || !FileStore::valid_name(out)) out = "upload.bin";
  return out;
}

std::unique_ptr<FileStore> FileStore::open(const std::string& directory, FileLimits limits, std::string& error) {
  std::error_code ec;
  for (const char* sub : {"firmware", "firmware-sha256", "uploads"}) {
    fs::create_directories(fs::path(directory) / sub, ec);
    if (ec) {
      error = "cannot make " + (fs::path(directory) / sub).string() + ": " + ec.message();
      return nullptr;
    }
  }
  const fs::path secret_path = fs::path(directory) / "secret";
  std::string secret = read_small(secret_path);
  if (secret.size() != 64) {
    std::array<unsigned char, 32> random{};
    if (RAND_bytes(random.data(), random.size()) != 1) {
      error = "no random bytes for " + secret_path.string();
      return nullptr;
    }
    secret = hex(random.data(), random.size());
    if (auto problem = write_whole(secret_path, secret + "\n")) {
      error = *problem;
      return nullptr;
    }
    fs::permissions(secret_path, fs::perms::owner_read | fs::perms::owner_write, ec);
  }
  return std::unique_ptr<FileStore>(new FileStore(directory, limits, std::move(secret)));
}

FileStore::FileStore(std::string directory, FileLimits limits, std::string secret)
    : directory_(std::move(directory)), limits_(limits), secret_(std::move(secret)) {}

std::string FileStore::token_of(std::string_view what) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(what.data()), what.size(), mac.data(), &size);
  return hex(mac.data(), 16);  // 128 bits: enough not to be guessed, short enough for a URL field
}

bool FileStore::valid_token(std::string_view expected, std::string_view given) const {
  return expected.size() == given.size() && CRYPTO_memcmp(expected.data(), given.data(), given.size()) == 0;
}

std::optional<std::string> FileStore::put_firmware(std::string_view name, std::string_view bytes, StoredFile& stored) {
  if (!valid_name(name)) return "a firmware name is 1-128 of A-Z a-z 0-9 . _ - and does not start with a dot";
  if (bytes.size() > limits_.max_firmware_bytes)
    return "the image has " + std::to_string(bytes.size()) + " bytes, more than " +
           std::to_string(limits_.max_firmware_bytes) + " (--max-firmware-bytes)";
  const auto sha256 = sha256_hex(bytes);
  std::lock_guard lock(mutex_);
  const fs::path root(directory_);
  if (auto problem = write_whole(root / "firmware-sha256" / std::string(name), sha256 + "\n")) return problem;
  if (auto problem = write_whole(root / "firmware" / std::string(name), bytes)) return problem;
  auto file = describe(root / "firmware" / std::string(name));
  if (!file) return "the image was written but cannot be read back";
  stored = std::move(*file);
  stored.sha256 = sha256;
  return std::nullopt;
}

std::vector<StoredFile> FileStore::firmware() const {
  auto files = list_folder(fs::path(directory_) / "firmware");
  for (auto& file : files) file.sha256 = read_small(fs::path(directory_) / "firmware-sha256" / file.name);
  return files;
}

std::optional<StoredFile> FileStore::firmware_file(std::string_view name) const {
  if (!valid_name(name)) return std::nullopt;
  auto file = describe(fs::path(directory_) / "firmware" / std::string(name));
  if (file) file->sha256 = read_small(fs::path(directory_) / "firmware-sha256" / std::string(name));
  return file;
}

bool FileStore::remove_firmware(std::string_view name) {
  if (!valid_name(name)) return false;
  std::lock_guard lock(mutex_);
  std::error_code ec;
  const bool removed = fs::remove(fs::path(directory_) / "firmware" / std::string(name), ec);
  fs::remove(fs::path(directory_) / "firmware-sha256" / std::string(name), ec);
  return removed;
}

std::string FileStore::firmware_path(std::string_view name) const {
  return valid_name(name) ? (fs::path(directory_) / "firmware" / std::string(name)).string() : std::string();
}

std::string FileStore::firmware_token(std::string_view name) const { return token_of("firmware/" + std::string(name)); }

void FileStore::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard lock(mutex_);
  public_url_ = std::move(url);
}

std::string FileStore::public_url() const {
  std::lock_guard lock(mutex_);
  return public_url_;
}

std::string FileStore::firmware_url(std::string_view name) const {
  return public_url() + "/firmware/" + firmware_token(name) + "/" + std::string(name);
}

std::string FileStore::upload_url(std::string_view station) const {
  std::string encoded;
  for (unsigned char c : station) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      encoded += static_cast<char>(c);
    } else {
      static constexpr char kDigits[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kDigits[c >> 4];
      encoded += kDigits[c & 0xf];
    }
  }
  return public_url() + "/uploads/" + encoded + "/" + upload_token(station) + "/";
}

std::string FileStore::upload_token(std::string_view station) const {
  return token_of("uploads/" + std::string(station));
}

std::string FileStore::station_folder(std::string_view station) const {
  // Station ids may hold characters a path may not (OCPP allows most of printable ASCII): hex.
  return (fs::path(directory_) / "uploads" /
          hex(reinterpret_cast<const unsigned char*>(station.data()), station.size()))
      .string();
}

std::optional<std::string> FileStore::put_upload(std::string_view station, std::string_view filename,
                                                 std::string_view bytes, StoredFile& stored) {
  if (bytes.size() > limits_.max_upload_bytes)
    return "the upload has " + std::to_string(bytes.size()) + " bytes, more than " +
           std::to_string(limits_.max_upload_bytes) + " (--max-upload-bytes)";
  std::lock_guard lock(mutex_);
  const fs::path folder = station_folder(station);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return "cannot make " + folder.string() + ": " + ec.message();
  // Names sort by arrival (the quota removes the first): a second upload in the same millisecond
  // gets .002, .003, ... after the time, which sorts after the plain "-".
  const std::string stamp = utc_stamp();
  const std::string file_part = clean_file_name(filename);
  std::string name = (stamp + "-" + file_part).substr(0, 128);
  for (int n = 2; fs::exists(folder / name, ec) && n < 1000; ++n) {
    char counter[16];
    std::snprintf(counter, sizeof counter, ".%03d", n);
    name = (stamp + counter + "-" + file_part).substr(0, 128);
  }
  if (fs::exists(folder / name, ec)) return "too many uploads at once";
  if (auto problem = write_whole(folder / name, bytes)) return problem;
  // The quota: the oldest go until what is left fits (the new one always stays).
  auto files = list_folder(folder);
  std::uint64_t total = 0;
  for (const auto& file : files) total += file.size;
  for (const auto& file : files) {
    if (total <= limits_.station_uploads_max_bytes) break;
    if (file.name == name) continue;
    fs::remove(folder / file.name, ec);
    total -= file.size;
  }
  auto file = describe(folder / name);
  if (!file) return "the upload was written but cannot be read back";
  stored = std::move(*file);
  return std::nullopt;
}

std::vector<StoredFile> FileStore::uploads(std::string_view station) const {
  return list_folder(station_folder(station));
}

std::optional<StoredFile> FileStore::upload_file(std::string_view station, std::string_view name) const {
  if (!valid_name(name)) return std::nullopt;
  return describe(fs::path(station_folder(station)) / std::string(name));
}

std::string FileStore::upload_path(std::string_view station, std::string_view name) const {
  return valid_name(name) ? (fs::path(station_folder(station)) / std::string(name)).string() : std::string();
}

bool FileStore::remove_upload(std::string_view station, std::string_view name) {
  if (!valid_name(name)) return false;
  std::lock_guard lock(mutex_);
  std::error_code ec;
  return fs::remove(fs::path(station_folder(station)) / std::string(name), ec);
}

}  // namespace evbroker::actors
