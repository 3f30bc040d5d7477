#pragma once
// A station's Basic-auth password over its life (OCPP 2.0.1 A01, 1.6 security extension
// AuthorizationKey): the node offers a new one to the station, adopts it when the station answers
// Accepted (A01.FR.03) and keeps the old one when it answers Rejected (A01.FR.04). Around a change a
// station may log in with either: the old password stays valid until it has logged in with the new,
// and an offered password whose answer never came (a timeout) is adopted when the station logs in
// with it. Plain functions on the StationRecord (tests/actors/station_password_test.cpp).

#include <optional>
#include <string>
#include <string_view>

#include "actors/records/generated/record_types.hpp"

namespace evbroker::actors {

/// Which of the station's passwords a login used.
enum class PasswordMatch { none, current, previous, offered };

/// Checks `password` (clear text, from the Basic header) against the current, the previous and the
/// offered password, in constant time per hash.
PasswordMatch match_password(const StationRecord& station, std::string_view password);

/// The record to store after a login that used `match`, or nullopt when nothing changes: a login
/// with the current password retires the previous one; one with the offered password adopts it.
std::optional<StationRecord> after_login(const StationRecord& station, PasswordMatch match, std::int64_t now_ms);

/// Records `password` (clear text) as offered to the station.
void offer_password(StationRecord& station, std::string_view password);
/// The station accepted the offered password: it becomes the current one and the current one the
/// previous. False when none is offered (another change replaced it meanwhile).
bool adopt_offered_password(StationRecord& station, std::int64_t now_ms);
/// The station refused the offered password: the current one stays.
void drop_offered_password(StationRecord& station);

/// A new random password of `length` characters from OCPP's passwordString/identifierString set
/// that Basic auth carries unchanged (letters and digits).
std::string random_password(std::size_t length);
/// What a 1.6 station is sent as AuthorizationKey: the password's bytes as hexadecimal (the security
/// extension: the station decodes it and logs in with the bytes).
std::string authorization_key_hex(std::string_view password);

}  // namespace evbroker::actors
