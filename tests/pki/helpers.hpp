#pragma once
// Shared by the PKI tests: unwrapping results, a small CA hierarchy and a temporary directory.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "pki/authority.hpp"

namespace evbroker::pki::test {

/// The value, or an exception carrying the library's reason (so a failing test says why).
template <class T>
T must(Result<T> result) {
  if (!result) throw std::runtime_error(result.error());
  return std::move(*result);
}

inline std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// root -> sub-CA, with a leaf helper.
struct SmallPki {
  CertificateAuthority root = must(CertificateAuthority::create_root(
      "Test Root", "Test Org", std::chrono::hours(24 * 365), must(PrivateKey::generate_p256())));
  CertificateAuthority sub = must(root.create_sub_ca("Test Sub-CA", "Test Org", std::chrono::hours(24 * 180), 0));

  Certificate leaf(std::string_view cn, CertificateProfile profile = CertificateProfile::charging_station,
                   std::chrono::seconds validity = std::chrono::hours(24)) const {
    IssueOptions options;
    options.profile = profile;
    options.validity = validity;
    return must(sub.issue(must(PrivateKey::generate_p256()), cn, "Test Org", options));
  }
};

/// A fresh directory under the build tree, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::filesystem::create_directories(EVBROKER_TEST_TMP);
    std::string pattern = std::string(EVBROKER_TEST_TMP) + "/pki-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " EVBROKER_TEST_TMP);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace evbroker::pki::test
