#include "actors/records/station_password.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "pki/password.hpp"

namespace evbroker::actors {
namespace {

bool matches(std::string_view password, const std::string& salt, const std::string& hash) {
  return !hash.empty() && pki::verify_password(password, {salt, hash});
}

}  // namespace

PasswordMatch match_password(const StationRecord& station, std::string_view password) {
  if (matches(password, station.password_salt, station.password_hash)) return PasswordMatch::current;
  if (matches(password, station.offered_password_salt, station.offered_password_hash)) return PasswordMatch::offered;
  if (matches(password, station.previous_password_salt, station.previous_password_hash)) return PasswordMatch::previous;
  return PasswordMatch::none;
}

std::optional<StationRecord> after_login(const StationRecord& station, PasswordMatch match, std::int64_t now_ms) {
  StationRecord next = station;
  switch (match) {
    case PasswordMatch::current:
      if (station.previous_password_hash.empty()) return std::nullopt;
      next.previous_password_salt.clear();
      next.previous_password_hash.clear();
      return next;
    case PasswordMatch::offered:
      // Its answer never reached us, but the station uses it: it took it. The old one goes at once.
      next.password_salt = std::move(next.offered_password_salt);
      next.password_hash = std::move(next.offered_password_hash);
      next.offered_password_salt.clear();
      next.offered_password_hash.clear();
      next.previous_password_salt.clear();
      next.previous_password_hash.clear();
      next.password_changed_at_ms = now_ms;
      return next;
    case PasswordMatch::previous:
    case PasswordMatch::none: return std::nullopt;
  }
  return std::nullopt;
}

void offer_password(StationRecord& station, std::string_view password) {
  auto salted = pki::hash_api_password(pki::base64_sha256(password));
  station.offered_password_salt = std::move(salted.salt);
  station.offered_password_hash = std::move(salted.hash);
}

bool adopt_offered_password(StationRecord& station, std::int64_t now_ms) {
  if (station.offered_password_hash.empty()) return false;
  station.previous_password_salt = std::move(station.password_salt);
  station.previous_password_hash = std::move(station.password_hash);
  station.password_salt = std::move(station.offered_password_salt);
  station.password_hash = std::move(station.offered_password_hash);
  station.offered_password_salt.clear();
  station.offered_password_hash.clear();
  station.password_changed_at_ms = now_ms;
  return true;
}

void drop_offered_password(StationRecord& station) {
  station.offered_password_salt.clear();
  station.offered_password_hash.clear();
}

std::string random_password(std::size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kSize = sizeof(kAlphabet) - 1;  // 62
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    unsigned char byte = 0;
    if (RAND_bytes(&byte, 1) != 1) throw std::runtime_error("RAND_bytes failed");
    if (byte < 248) out.push_back(kAlphabet[byte % kSize]);  // 248 = 4 * 62: no bias
  }
  return out;
}

std::string authorization_key_hex(std::string_view password) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(password.size() * 2);
  for (unsigned char c : password) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0x0f]);
  }
  return out;
}

}  // namespace evbroker::actors
