#pragma once
// TLS session tickets whose keys survive a restart of the node, so that stations reconnecting after
// a restart (or any reconnect) resume their TLS session: one round trip, no certificate chain sent
// or verified, no signature by the server key. Without them every reconnect of a storm is a full
// handshake, the node's most expensive work per station (docs/load-testing.md).
//
// The keys live in one file (<pki dir>/tls-ticket-keys, mode 0600), newest first. A new key
// encrypts tickets for `rotation` (1 day), then only decrypts them until `lifetime` (7 days, TLS
// 1.3's longest ticket lifetime) has passed since it stopped encrypting: a station connected for
// days still holds a ticket the node accepts after a restart. A ticket is renewed when its key is
// no longer the newest, so a station that reconnects daily never falls out of the window. A ticket of a key that is
// gone means a full handshake, never an error.
//
// A ticket resumes only against the same server certificate and station trust (the session id
// context is a hash of both), so changing either makes every station verify again.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <openssl/ssl.h>

namespace evbroker::app {

struct TicketKey {
  std::int64_t created_s = 0;  // unix seconds: when it began encrypting
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> hmac{};
  std::array<unsigned char, 32> aes{};
};

class TicketKeys {
 public:
  struct Options {
    std::chrono::seconds rotation{24 * 3600};
    std::chrono::seconds lifetime{7 * 24 * 3600};
  };

  /// Reads the keys in `path`, or creates the file with a new key. A key older than `rotation` is
  /// followed by a new one (stored); keys past their lifetime are dropped. Null with `error` set
  /// when the file cannot be read or written.
  static std::shared_ptr<TicketKeys> open(const std::string& path, Options options, std::int64_t now_s,
                                          std::string& error);

  /// The key that encrypts new tickets at `now_s`, rotating (and storing) when it is due.
  TicketKey encryption_key(std::int64_t now_s);
  /// The key of that name, if it still decrypts; `current` says whether it is the encrypting one
  /// (otherwise OpenSSL is told to issue a fresh ticket).
  bool find(const unsigned char* name, std::int64_t now_s, TicketKey& key, bool& current);

  std::size_t size() const;
  /// Problems storing a rotation (the new key is used anyway; the file keeps the old ones).
  std::string last_error() const;

  TicketKeys(std::string path, Options options) : path_(std::move(path)), options_(options) {}

 private:
  /// When key i stopped (or stops) encrypting: when the next key began or its rotation ran out,
  /// whichever came first. It decrypts until `lifetime` after that.
  std::int64_t retired_at(std::size_t i) const;
  void drop_expired(std::int64_t now_s);
  bool store(std::string& error) const;
  void add_new_key(std::int64_t now_s);

  const std::string path_;
  const Options options_;
  mutable std::mutex mutex_;
  std::vector<TicketKey> keys_;  // newest first
  std::string last_error_;
};

/// Makes `ctx` issue and accept tickets with `keys` (kept alive by the context), one ticket per
/// handshake, no server-side session cache, tickets valid for the keys' lifetime, and sessions tied
/// to `identity` (e.g. the server certificate and the station trust, hashed). False with `error`
/// set when OpenSSL refuses.
bool use_ticket_keys(SSL_CTX* ctx, std::shared_ptr<TicketKeys> keys, std::chrono::seconds lifetime,
                     const std::string& identity, std::string& error);

}  // namespace evbroker::app
