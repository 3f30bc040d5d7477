#include "apps/evbroker/tls_tickets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace evbroker::app {
namespace {

constexpr char kHex[] = "0123456789abcdef";

template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& bytes) {
  std::string out;
  out.reserve(2 * N);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <std::size_t N>
bool from_hex(const std::string& text, std::array<unsigned char, N>& bytes) {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

template <std::size_t N>
bool random_fill(std::array<unsigned char, N>& bytes) {
  return RAND_bytes(bytes.data(), static_cast<int>(N)) == 1;
}

/// One line per key, newest first: "<created unix s> <name> <hmac key> <aes key>", hex.
bool parse_keys(std::istream& in, std::vector<TicketKey>& keys, std::string& error) {
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string created, name, hmac, aes, extra;
    TicketKey key;
    if (!(fields >> created >> name >> hmac >> aes) || (fields >> extra) || !from_hex(name, key.name) ||
        !from_hex(hmac, key.hmac) || !from_hex(aes, key.aes)) {
      error = "line " + std::to_string(number) + " is not \"<created> <name> <hmac key> <aes key>\" in hex";
      return false;
    }
    try {
      std::size_t used = 0;
      key.created_s = std::stoll(created, &used);
      if (used != created.size()) throw std::invalid_argument(created);
    } catch (const std::exception&) {
      error = "line " + std::to_string(number) + ": the creation time is not a number";
      return false;
    }
    keys.push_back(key);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const TicketKey& a, const TicketKey& b) { return a.created_s > b.created_s; });
  return true;
}

int keys_index() {
  // The context owns a heap-held shared_ptr<TicketKeys>; OpenSSL frees it with the context.
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<TicketKeys>*>(ptr);
      });
  return index;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKey& key) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()),
                                        key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

/// OpenSSL's ticket callback: 1 = ticket made / ticket good, 2 = good but issue a new one, 0 = not
/// ours (full handshake), -1 = failure.
int on_ticket(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  auto* held = static_cast<std::shared_ptr<TicketKeys>*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keys_index()));
  if (held == nullptr || !*held) return encrypt ? -1 : 0;
  auto& keys = **held;
  const auto now = unix_now();
  if (encrypt) {
    const auto key = keys.encryption_key(now);
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, key) ? 1 : -1;
  }
  TicketKey key;
  bool current = false;
  if (!keys.find(name, now, key, current)) return 0;
  if (!set_mac_key(mac, key)) return -1;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
  return current ? 1 : 2;
}

}  // namespace

std::shared_ptr<TicketKeys> TicketKeys::open(const std::string& path, Options options, std::int64_t now_s,
                                             std::string& error) {
  auto keys = std::make_shared<TicketKeys>(path, options);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    if (!in) {
      error = path + ": cannot be read";
      return nullptr;
    }
    if (!parse_keys(in, keys->keys_, error)) {
      error = path + ": " + error;
      return nullptr;
    }
  } else if (ec) {
    error = path + ": " + ec.message();
    return nullptr;
  }
  std::lock_guard lock(keys->mutex_);
  keys->drop_expired(now_s);  // a node that was down for weeks starts with a fresh key
  if (keys->keys_.empty() || now_s - keys->keys_.front().created_s >= options.rotation.count()) {
    keys->add_new_key(now_s);
    if (!keys->last_error_.empty()) {
      error = keys->last_error_;
      return nullptr;
    }
  }
  return keys;
}

void TicketKeys::add_new_key(std::int64_t now_s) {
  TicketKey key;
  key.created_s = now_s;
  if (!random_fill(key.name) || !random_fill(key.hmac) || !random_fill(key.aes)) {
    last_error_ = "no random bytes for a new TLS ticket key";
    return;
  }
  keys_.insert(keys_.begin(), key);
  std::string error;
  last_error_ = store(error) ? std::string() : error;
}

std::int64_t TicketKeys::retired_at(std::size_t i) const {
  const auto due = keys_[i].created_s + options_.rotation.count();
  return i == 0 ? due : std::min(due, keys_[i - 1].created_s);
}

void TicketKeys::drop_expired(std::int64_t now_s) {
  // Oldest last, and an older key never retires later than a newer one.
  while (!keys_.empty() && now_s >= retired_at(keys_.size() - 1) + options_.lifetime.count()) keys_.pop_back();
}

bool TicketKeys::store(std::string& error) const {
  std::string text = "# TLS session ticket keys of the wss listener (secret; newest first). Delete to revoke.\n";
  for (const auto& key : keys_)
    text +=
        std::to_string(key.created_s) + ' ' + to_hex(key.name) + ' ' + to_hex(key.hmac) + ' ' + to_hex(key.aes) + '\n';
  // Unique per process: nodes sharing a --pki-dir (a gateway beside its manager) may rotate at once.
  // The last rename wins; the other node's new key then only lives in its memory, which costs a
  // full handshake after its restart, never an error.
  const std::string temporary = path_ + ".new." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = temporary + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || std::rename(temporary.c_str(), path_.c_str()) != 0) {
    error = path_ + ": " + std::strerror(ok ? errno : saved);
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

TicketKey TicketKeys::encryption_key(std::int64_t now_s) {
  std::lock_guard lock(mutex_);
  if (keys_.empty() || now_s - keys_.front().created_s >= options_.rotation.count()) {
    add_new_key(now_s);
    drop_expired(now_s);
  }
  return keys_.front();
}

bool TicketKeys::find(const unsigned char* name, std::int64_t now_s, TicketKey& key, bool& current) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (std::memcmp(keys_[i].name.data(), name, keys_[i].name.size()) != 0) continue;
    const auto retired = retired_at(i);
    if (now_s >= retired + options_.lifetime.count()) return false;
    key = keys_[i];
    current = now_s < retired;  // only the newest key can be: the others retired when it began
    return true;
  }
  return false;
}

std::size_t TicketKeys::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

std::string TicketKeys::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

bool use_ticket_keys(SSL_CTX* ctx, std::shared_ptr<TicketKeys> keys, std::chrono::seconds lifetime,
                     const std::string& identity, std::string& error) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(identity.data(), identity.size(), digest, &digest_size, EVP_sha256(), nullptr) != 1 ||
      SSL_CTX_set_session_id_context(ctx, digest, std::min<unsigned int>(digest_size, SSL_MAX_SID_CTX_LENGTH)) != 1) {
    error = "cannot set the TLS session id context";
    return false;
  }
  // Tickets carry the session, so the server keeps none (no per-station memory for resumption).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_timeout(ctx, static_cast<long>(lifetime.count()));
  auto* held = new std::shared_ptr<TicketKeys>(std::move(keys));
  if (SSL_CTX_set_ex_data(ctx, keys_index(), held) != 1) {
    delete held;
    error = "cannot attach the TLS ticket keys";
    return false;
  }
  if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket) != 1) {
    error = "cannot install the TLS ticket callback";
    return false;
  }
  return true;
}

}  // namespace evbroker::app
