// The decisions of a firmware rollout (actors/api/firmware_rollout.hpp): who goes next, when it
// stops, what a firmware status means.

#include <catch2/catch.hpp>

#include "actors/api/firmware_rollout.hpp"

using namespace evbroker::actors;

namespace {

Rollout rollout_of(std::size_t stations, std::size_t concurrency, std::size_t max_failures) {
  Rollout rollout;
  rollout.concurrency = concurrency;
  rollout.max_failures = max_failures;
  for (std::size_t i = 0; i < stations; ++i) {
    RolloutStation station;
    station.id = "CS" + std::to_string(i);
    rollout.stations.push_back(station);
  }
  return rollout;
}

void send(Rollout& rollout) {
  for (auto index : next_stations(rollout)) rollout.stations[index].state = RolloutStationState::sent;
}

}  // namespace

TEST_CASE("a rollout keeps at most `concurrency` stations updating, in order") {
  auto rollout = rollout_of(5, 2, 1);
  CHECK(next_stations(rollout) == std::vector<std::size_t>{0, 1});
  send(rollout);
  CHECK(next_stations(rollout).empty());
  finish_station(rollout, 1, true, "Installed", 10);
  CHECK(next_stations(rollout) == std::vector<std::size_t>{2});
  send(rollout);
  finish_station(rollout, 0, true, "Installed", 11);
  finish_station(rollout, 2, true, "Installed", 12);
  send(rollout);
  finish_station(rollout, 3, true, "Installed", 13);
  finish_station(rollout, 4, true, "Installed", 14);
  CHECK(rollout.state == RolloutState::done);
  CHECK(rollout.count(RolloutStationState::installed) == 5);
  CHECK(rollout.finished_ms == 14);
}

TEST_CASE("a rollout sends no more stations after maxFailures, and stops once the updating ones end") {
  auto rollout = rollout_of(6, 2, 2);
  send(rollout);
  finish_station(rollout, 0, false, "DownloadFailed", 1);
  CHECK(rollout.state == RolloutState::running);
  send(rollout);  // station 2 takes 0's place
  finish_station(rollout, 1, false, "InvalidSignature", 2);
  CHECK(next_stations(rollout).empty());  // two failed: nothing new, though 2 is still updating
  CHECK(rollout.state == RolloutState::running);
  finish_station(rollout, 2, true, "Installed", 3);
  CHECK(rollout.state == RolloutState::stopped);
  CHECK_THAT(rollout.reason, Catch::Contains("2 stations failed"));
  CHECK(rollout.count(RolloutStationState::waiting) == 3);
}

TEST_CASE("a late outcome of a station already decided changes nothing") {
  auto rollout = rollout_of(2, 1, 1);
  send(rollout);
  finish_station(rollout, 0, true, "Installed", 1);
  finish_station(rollout, 0, false, "timeout", 2);
  CHECK(rollout.stations[0].state == RolloutStationState::installed);
  finish_station(rollout, 1, true, "Installed", 3);  // never sent: ignored
  CHECK(rollout.stations[1].state == RolloutStationState::waiting);
}

TEST_CASE("a cancelled rollout starts nobody") {
  auto rollout = rollout_of(3, 3, 1);
  rollout.state = RolloutState::cancelled;
  CHECK(next_stations(rollout).empty());
}

TEST_CASE("firmware statuses: Installed, the failures of both versions, the rest in progress") {
  CHECK(firmware_progress("Installed") == FirmwareProgress::installed);
  for (const char* failed : {"DownloadFailed", "InstallationFailed", "InstallVerificationFailed", "InvalidSignature",
                             "InstallCertificateInvalid"})
    CHECK(firmware_progress(failed) == FirmwareProgress::failed);
  for (const char* going : {"Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
                            "InstallScheduled", "DownloadScheduled", "DownloadPaused", "Idle"})
    CHECK(firmware_progress(going) == FirmwareProgress::going);
}
