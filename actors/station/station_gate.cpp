#include "actors/station/station_gate.hpp"

#include <spdlog/spdlog.h>

#include "actors/records/runtime_keys.hpp"
#include "actors/station/boot_provisioning.hpp"
#include "actors/station/local_list.hpp"
#include "actors/station/proxy_client_cert.hpp"
#include "actors/station/security_upgrade.hpp"
#include "actors/records/records.hpp"
#include "actors/station/station_actor.hpp"
#include "actors/station/station_id.hpp"
#include "actors/records/station_password.hpp"

namespace evbroker::actors {
namespace {

/// Our preference when a station offers several versions.
constexpr ocpp::Version kSpoken[] = {ocpp::Version::v201, ocpp::Version::v16};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

}  // namespace

StationGate::StationGate(caf::actor_system* system, NodeContextPtr ctx, StationLookup lookup)
    : system_(system), ctx_(std::move(ctx)), lookup_(std::move(lookup)), throttle_(ctx_->login_throttle) {
  if (!lookup_) {
    lookup_ = [ctx = ctx_](const std::string& id) -> std::optional<std::string> {
      return ctx->store->read().get(storage::Table::stations, id);
    };
  }
}

transport::UpgradeDecision StationGate::refuse(UpgradeOutcome outcome, int status, std::string reason) {
  if (ctx_->metrics) ctx_->metrics->upgrade(outcome);
  transport::UpgradeDecision d;
  d.accept = false;
  d.http_status = status;
  d.reason = std::move(reason);
  return d;
}

transport::UpgradeDecision StationGate::decide(const transport::UpgradeRequest& request) {
  if (!request.path_ok)
    return refuse(UpgradeOutcome::bad_path, 404, "bad path " + request.target + ": expected /ws/<stationId>");
  const std::string& id = request.station_id;
  if (std::string error; !valid_station_id(id, error)) return refuse(UpgradeOutcome::bad_path, 400, error);
  const auto now = LoginThrottle::Clock::now();
  const std::string source = source_of(request);
  if (const auto until = throttle_.locked_until(source, id, now); until > now) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(until - now).count() + 1;
    return refuse(UpgradeOutcome::throttled, 429,
                  "too many failed logins from " + source + ", try again in " + std::to_string(seconds) + " s");
  }
  auto record_failure = [&](const std::string&) { throttle_.failed(source, id, now); };

  auto stored = lookup_(id);
  auto station = stored ? parse_station_record(*stored) : std::nullopt;
  if (!station) {
    record_failure(id);  // scanning for ids counts against the address
    return refuse(UpgradeOutcome::unknown_station, 404, "unknown charge station " + id);
  }

  std::string chosen;
  for (auto version : kSpoken) {
    for (const auto& offer : request.subprotocols)
      if (offer == ocpp::subprotocol(version)) chosen = offer;
    if (!chosen.empty()) break;
  }
  if (chosen.empty())
    return refuse(UpgradeOutcome::no_subprotocol, 400,
                  "no common subprotocol: offered " + join(request.subprotocols) + "; supported ocpp2.0.1, ocpp1.6");

  // TLS as the station sees it: the node's own wss listener, or a TLS-terminating proxy in front of
  // the plain listener when (and only when) the operator said to trust one.
  ProxiedTls seen{request.tls, request.client_cert_cn, {}};
  if (!request.tls && ctx_->trust_proxy) {
    seen = read_proxied_tls(request, *ctx_);
  } else if (has_proxy_headers(request)) {
    ctx_->station_log->debug("{}: X-Forwarded-Proto / X-Client-Cert* headers ignored ({})", id,
                             request.tls ? "the connection is TLS to the node itself" : "--trust-proxy is off");
  }

  // The station's own profile, and while it is being upgraded the new one as well
  // (security_upgrade.hpp): its first login with the new one makes that its profile.
  PasswordMatch match = PasswordMatch::none;
  auto refusal = credentials_refusal(station->security_profile, *station, seen, request, match);
  bool upgraded = false;
  if (refusal && station->upgrade_to_profile >= 0) {
    PasswordMatch upgrade_match = PasswordMatch::none;
    if (!credentials_refusal(station->upgrade_to_profile, *station, seen, request, upgrade_match)) {
      refusal.reset();
      match = upgrade_match;
      upgraded = true;
    } else {
      refusal->reason += " (nor does it present what security profile " + std::to_string(station->upgrade_to_profile) +
                         ", which it is being upgraded to, needs)";
    }
  }
  if (refusal) {
    if (refusal->failed_login) record_failure(id);
    return refuse(refusal->outcome, refusal->status, refusal->reason);
  }
  if (match != PasswordMatch::none && request.password &&
      (match == PasswordMatch::previous || after_login(*station, match, 0)))
    note_password_login(id, *request.password, match);  // only a login around a password change writes
  if (upgraded && ctx_->committer) adopt_upgraded_profile(ctx_, id, station->upgrade_to_profile);
  throttle_.succeeded(source, id);
  if (ctx_->metrics) ctx_->metrics->upgrade(UpgradeOutcome::accepted);
  transport::UpgradeDecision d;
  d.accept = true;
  d.subprotocol = chosen;
  return d;
}

/// Why a login cannot pass as security profile `profile` (MaEVe's numbering: 0 ws + Basic, 1 wss +
/// Basic, 2 wss + client certificate); nullopt when it can, with `match` telling which password it
/// used.
std::optional<StationGate::Refusal> StationGate::credentials_refusal(int profile, const StationRecord& station,
                                                                     const ProxiedTls& seen,
                                                                     const transport::UpgradeRequest& request,
                                                                     PasswordMatch& match) const {
  const std::string& id = request.station_id;
  auto refused = [](UpgradeOutcome outcome, int status, std::string reason, bool failed_login = false) {
    return std::optional<Refusal>(Refusal{outcome, status, std::move(reason), failed_login});
  };
  if (profile >= 1 && !seen.tls)
    return refused(UpgradeOutcome::wrong_profile, 403,
                   id + " is registered for security profile " + std::to_string(profile) + ": connect with wss");
  if (profile == 0 && seen.tls)
    return refused(UpgradeOutcome::wrong_profile, 403, id + " is registered for security profile 0: connect with ws");
  if (profile == 2) {
    if (request.username || request.password)
      return refused(UpgradeOutcome::wrong_profile, 403,
                     id + " is registered for client-certificate authentication, not a password");
    if (!seen.client_cert_cn)
      return refused(UpgradeOutcome::bad_credentials, 401,
                     seen.problem.empty() ? "no client certificate" : seen.problem, true);
    if (*seen.client_cert_cn != id)
      return refused(UpgradeOutcome::bad_credentials, 403,
                     "client certificate names " + *seen.client_cert_cn + ", not " + id, true);
    return std::nullopt;
  }
  if (station.password_hash.empty() && profile != 1) return std::nullopt;
  if (!request.username || !request.password)
    return refused(UpgradeOutcome::bad_credentials, 401, "missing Basic credentials", true);
  if (*request.username != id && !station.invalid_username_allowed)
    return refused(UpgradeOutcome::bad_credentials, 401, "username must be the station id", true);
  match = match_password(station, *request.password);
  if (match == PasswordMatch::none) return refused(UpgradeOutcome::bad_credentials, 401, "wrong password", true);
  return std::nullopt;
}

StationActor start_station_actor(caf::actor_system& system, const NodeContextPtr& ctx,
                                 std::shared_ptr<transport::Connection> connection, const std::string& station_id,
                                 ocpp::Version version, const std::string& gateway) {
  auto reader = ctx->store->read();
  auto stored = reader.get(storage::Table::stations, station_id);
  auto station = stored ? parse_station_record(*stored) : std::nullopt;
  auto stored_boot = reader.get(storage::Table::station_runtime, runtime_key(station_id, RuntimeField::boot));
  auto boot = stored_boot ? parse_boot_record(*stored_boot) : std::nullopt;
  const auto now = ctx->clock->now_ms();
  const std::string remote = connection->remote_address();

  StationSetup setup;
  setup.station_id = station_id;
  setup.version = version;
  setup.tolerant = station && station->tolerant;
  setup.connection = connection;
  setup.last_seen_ms = std::make_shared<std::atomic<std::int64_t>>(now);
  setup.ctx = ctx;
  if (station) setup.registration = registration_from(station->registration_status).value_or(Registration::accepted);
  if (boot) setup.told = registration_from(boot->status).value_or(Registration::accepted);
  setup.boot_provisioning =
      station && (station->boot_provisioning ||
                  provisioned_by_group(ctx->settings.boot_provisioning_groups, parse_station_groups(station->groups)));
  setup.provisioned =
      setup.boot_provisioning &&
      reader.get(storage::Table::station_runtime, runtime_key(station_id, RuntimeField::provisioning)).has_value();
  auto actor = system.spawn(station_actor, setup);

  StationDirectory::Entry entry{actor, version, now, remote, setup.last_seen_ms};
  if (auto previous = ctx->directory->attach(station_id, std::move(entry))) {
    ctx->station_log->info("{}: a new connection replaces the one from {}", station_id, previous->remote_address);
    caf::anon_send(previous->actor, replace_atom::value);
  }
  ctx->station_log->info("{}: connected with {} from {}{}", station_id, ocpp::subprotocol(version), remote,
                         gateway.empty() ? "" : " through gateway " + gateway);
  ctx->committer->submit(
      [id = station_id, record = to_json(ConnectionRecord{.protocol = std::string(ocpp::subprotocol(version)),
                                                          .connected_at_ms = now,
                                                          .remote_address = remote,
                                                          .gateway = gateway})](storage::WriteTxn& txn) {
        txn.put(storage::Table::station_runtime, runtime_key(id, RuntimeField::conn), record);
      },
      [](const std::string&) {});
  return actor;
}

std::shared_ptr<transport::ConnectionHandler> StationGate::open(std::shared_ptr<transport::Connection> connection,
                                                                const transport::UpgradeRequest& request,
                                                                const std::string& subprotocol) {
  const auto version = ocpp::version_from_subprotocol(subprotocol).value_or(ocpp::Version::v201);
  auto actor = start_station_actor(*system_, ctx_, std::move(connection), request.station_id, version, "");
  return std::make_shared<StationSession>(std::move(actor));
}

void StationGate::note_password_login(const std::string& id, const std::string& password, PasswordMatch match) {
  if (match == PasswordMatch::previous)
    ctx_->station_log->info("{}: logged in with its previous password, valid until it uses the new one", id);
  // A gateway decides on a replica of the stations and stores nothing: its manager keeps the record.
  if (!ctx_->committer || match == PasswordMatch::previous) return;
  const auto now = ctx_->clock->now_ms();
  auto changed = std::make_shared<std::optional<std::string>>();
  ctx_->committer->submit(
      [id, password, now, changed](storage::WriteTxn& txn) {
        // Decided again on what is stored now: a change made meanwhile is not undone.
        auto stored = txn.get(storage::Table::stations, id);
        auto station = stored ? parse_station_record(*stored) : std::nullopt;
        if (!station) return;
        if (auto next = after_login(*station, match_password(*station, password), now)) {
          *changed = to_json(*next);
          txn.put(storage::Table::stations, id, **changed);
        }
      },
      [ctx = ctx_, id, changed](const std::string& error) {
        if (!error.empty()) return ctx->station_log->warn("{}: storing its password change failed: {}", id, error);
        if (!*changed) return;
        ctx->station_log->info("{}: logged in with its new password; the old one is no longer accepted", id);
        if (ctx->station_changed) ctx->station_changed(id, **changed);
      });
}

std::string StationGate::source_of(const transport::UpgradeRequest& request) const {
  if (ctx_->trust_proxy && !request.tls && request.header) {
    const std::string forwarded = request.header("X-Forwarded-For");
    if (!forwarded.empty()) {
      auto last = forwarded.substr(forwarded.rfind(',') == std::string::npos ? 0 : forwarded.rfind(',') + 1);
      const auto first = last.find_first_not_of(" \t");
      if (first != std::string::npos)
        return LoginThrottle::source_of(last.substr(first, last.find_last_not_of(" \t") - first + 1));
    }
  }
  return LoginThrottle::source_of(request.remote_address);
}

}  // namespace evbroker::actors
