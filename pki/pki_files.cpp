#include "pki/pki_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace evbroker::pki::detail {

namespace {

constexpr const char* pending_suffix = ".next";
constexpr const char* commit_marker = "transaction.commit";

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

/// Closes the descriptor on every path.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Makes the directory's entries (creations, renames, removals) durable.
Result<void*> sync_directory(const std::string& dir) {
  const Descriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return Unexpected(system_error("cannot sync directory " + dir));
  return nullptr;
}

Result<void*> write_durably(const std::string& path, const std::string& content, mode_t mode) {
  const Descriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) return Unexpected(system_error("cannot create " + path));
  // The umask may have removed bits but never adds any; set the mode exactly.
  if (::fchmod(fd.get(), mode) != 0) return Unexpected(system_error("cannot set the mode of " + path));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unexpected(system_error("cannot write " + path));
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return Unexpected(system_error("cannot sync " + path));
  return nullptr;
}

bool is_pending(const std::string& name) {
  const std::string suffix = pending_suffix;
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Renames every pending file into place (roll forward).
Result<void*> install_pending(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_pending(name)) continue;
    const std::string target = dir + "/" + name.substr(0, name.size() - std::strlen(pending_suffix));
    if (::rename(entry.path().c_str(), target.c_str()) != 0)
      return Unexpected(system_error("cannot rename to " + target));
  }
  if (ec) return Unexpected("cannot list " + dir + ": " + ec.message());
  return sync_directory(dir);
}

Result<void*> discard_pending(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (is_pending(entry.path().filename().string())) std::filesystem::remove(entry.path(), ec);
  if (ec) return Unexpected("cannot clean " + dir + ": " + ec.message());
  return nullptr;
}

Result<void*> remove_marker(const std::string& dir) {
  const std::string marker = dir + "/" + commit_marker;
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return Unexpected(system_error("cannot remove " + marker));
  return sync_directory(dir);
}

}  // namespace

Result<void*> make_private_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unexpected("cannot create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Unexpected(system_error("cannot make " + dir + " private"));
  return nullptr;
}

Result<void*> recover_files(const std::string& dir) {
  if (!file_exists(dir + "/" + commit_marker)) return discard_pending(dir);
  if (auto installed = install_pending(dir); !installed) return installed;
  return remove_marker(dir);
}

Result<void*> write_files(const std::string& dir, const std::vector<FileToWrite>& files) {
  if (files.empty()) return nullptr;
  for (const auto& file : files) {
    auto written = write_durably(dir + "/" + file.name + pending_suffix, file.content, file.secret ? 0600 : 0644);
    if (!written) return written;
  }
  if (auto synced = sync_directory(dir); !synced) return synced;
  // From here on the new set wins, even across a crash.
  if (auto marked = write_durably(dir + "/" + commit_marker, {}, 0600); !marked) return marked;
  if (auto synced = sync_directory(dir); !synced) return synced;
  if (auto installed = install_pending(dir); !installed) return installed;
  return remove_marker(dir);
}

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected(system_error("cannot open " + path));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Unexpected("cannot read " + path);
  return content.str();
}

}  // namespace evbroker::pki::detail
