// A station's password around a change (actors/records/station_password.hpp; OCPP 2.0.1 A01).

#include <catch2/catch.hpp>

#include <set>

#include "actors/records/station_password.hpp"
#include "pki/password.hpp"

using namespace evbroker;
using namespace evbroker::actors;

namespace {

constexpr std::int64_t kNow = 1'764'000'000'000;

StationRecord with_password(std::string_view password) {
  StationRecord station;
  station.security_profile = 1;
  auto salted = pki::hash_api_password(pki::base64_sha256(password));
  station.password_salt = salted.salt;
  station.password_hash = salted.hash;
  return station;
}

}  // namespace

TEST_CASE("TC_A_09 A01.FR.03: an accepted password is adopted and the old one lasts until the new one is used",
          "[password]") {
  auto station = with_password("old-password-0001");
  offer_password(station, "new-password-0002");
  // Offered, not answered yet: both log in (the station may take it and reconnect at once).
  CHECK(match_password(station, "old-password-0001") == PasswordMatch::current);
  CHECK(match_password(station, "new-password-0002") == PasswordMatch::offered);
  CHECK(match_password(station, "other-password-03") == PasswordMatch::none);

  REQUIRE(adopt_offered_password(station, kNow));
  CHECK(station.password_changed_at_ms == kNow);
  CHECK(match_password(station, "new-password-0002") == PasswordMatch::current);
  CHECK(match_password(station, "old-password-0001") == PasswordMatch::previous);
  CHECK_FALSE(after_login(station, PasswordMatch::previous, kNow));  // the old one changes nothing

  auto next = after_login(station, PasswordMatch::current, kNow);
  REQUIRE(next);
  CHECK(match_password(*next, "old-password-0001") == PasswordMatch::none);
  CHECK(match_password(*next, "new-password-0002") == PasswordMatch::current);
  CHECK_FALSE(after_login(*next, PasswordMatch::current, kNow));  // nothing more to store
  CHECK_FALSE(adopt_offered_password(*next, kNow));               // nothing offered
}

TEST_CASE("TC_A_10 A01.FR.04: a refused password is dropped and the old one stays", "[password]") {
  auto station = with_password("old-password-0001");
  offer_password(station, "new-password-0002");
  drop_offered_password(station);
  CHECK(match_password(station, "new-password-0002") == PasswordMatch::none);
  CHECK(match_password(station, "old-password-0001") == PasswordMatch::current);
  CHECK(station.password_changed_at_ms == 0);
}

TEST_CASE("an offered password whose answer never came is adopted when the station logs in with it", "[password]") {
  auto station = with_password("old-password-0001");
  offer_password(station, "new-password-0002");
  auto next = after_login(station, PasswordMatch::offered, kNow);
  REQUIRE(next);
  CHECK(match_password(*next, "new-password-0002") == PasswordMatch::current);
  CHECK(match_password(*next, "old-password-0001") == PasswordMatch::none);
  CHECK(next->password_changed_at_ms == kNow);
  // Logging in with the old one meanwhile keeps both as they are.
  CHECK_FALSE(after_login(station, PasswordMatch::current, kNow));
}

TEST_CASE("generated passwords are 20 random letters and digits, 1.6 gets them as hexadecimal", "[password]") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto password = random_password(20);
    REQUIRE(password.size() == 20);
    for (char c : password) CHECK(std::isalnum(static_cast<unsigned char>(c)));
    seen.insert(password);
  }
  CHECK(seen.size() == 200);
  CHECK(authorization_key_hex("dk2q0rfu2q0f-2f0rdg") == "646B327130726675327130662D326630726467");
  CHECK(authorization_key_hex("") == "");
}
