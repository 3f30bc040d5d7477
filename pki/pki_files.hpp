#pragma once
// Private to pki/: the local PKI's directory. Several files (a key, its certificate, the trust
// bundle) must change together, so they are written as one transaction: every new file goes to
// "<name>.next" (fsync), then a commit marker is created (fsync), then each file is renamed into
// place and the marker removed. After a crash, recover_files() finishes a transaction whose marker
// exists and discards one whose marker does not, so the directory always holds either the old set
// or the new one, never a key without its certificate.

#include <string>
#include <vector>

#include "pki/x509.hpp"

namespace evbroker::pki::detail {

struct FileToWrite {
  std::string name;  // inside the directory
  std::string content;
  bool secret = false;  // 0600 instead of 0644
};

/// Creates `dir` (and its parents) when missing and makes it 0700.
Result<void*> make_private_directory(const std::string& dir);
/// Finishes or discards a transaction a crash interrupted. Call before reading the directory.
Result<void*> recover_files(const std::string& dir);
/// Writes `files` into `dir` as one transaction.
Result<void*> write_files(const std::string& dir, const std::vector<FileToWrite>& files);

bool file_exists(const std::string& path);
Result<std::string> read_whole_file(const std::string& path);

}  // namespace evbroker::pki::detail
