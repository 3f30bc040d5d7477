#pragma once
// What a charging station id may be, the same at registration (API) and at the websocket upgrade:
// OCPP's identifierString (a-z A-Z 0-9 * - _ = : + | @ .) and at most 48 characters, MaEVe's limit.
// Ids end up in JSON, MQTT topics, store keys and log lines: anything else (a '/', a space, a
// byte that is not ASCII, let alone not UTF-8) is refused before it gets there.

#include <string>
#include <string_view>

namespace evbroker::actors {

inline constexpr std::size_t kMaxStationIdLength = 48;

inline bool is_identifier_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
         c == '_' || c == '=' || c == ':' || c == '+' || c == '|' || c == '@' || c == '.';
}

/// True when `id` is a valid station id; otherwise false, and `error` says why.
inline bool valid_station_id(std::string_view id, std::string& error) {
  if (id.empty() || id.size() > kMaxStationIdLength) {
    error = "station id must be 1 to 48 characters";
    return false;
  }
  for (char c : id) {
    if (!is_identifier_char(c)) {
      error = "station id may only contain the characters of OCPP's identifierString: a-z A-Z 0-9 * - _ = : + | @ .";
      return false;
    }
  }
  return true;
}

/// Whether an ISO 15118 SECC certificate's CN names `station_id`: the CN is the id, or holds it as a
/// delimited component — between the CN's ends or characters other than letters and digits — as in
/// "DE*ABC*E*CS1" or "CS1-EVSE1" for CS1, never "CS10" or "XCS1". Case-insensitive, as
/// identifierString is.
inline bool secc_cn_names_station(std::string_view cn, std::string_view station_id) {
  if (station_id.empty() || cn.size() < station_id.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto is_word_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  for (std::size_t at = 0; at + station_id.size() <= cn.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; i < station_id.size() && same; ++i) same = lower(cn[at + i]) == lower(station_id[i]);
    if (!same) continue;
    const bool starts = at == 0 || !is_word_char(cn[at - 1]);
    const bool ends = at + station_id.size() == cn.size() || !is_word_char(cn[at + station_id.size()]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace evbroker::actors
