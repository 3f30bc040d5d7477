// POST /api/v0/cs/{csId}/password: a station's Basic-auth password changed as one operation (OCPP 2.0.1
// A01, 1.6 security extension). The node offers the password (stored as offered before it goes out, so a
// station that takes it and reconnects at once is let in), sends it, and adopts or drops it by the
// station's answer (actors/records/station_password.hpp).

#include <spdlog/spdlog.h>

#include "actors/api/api_support.hpp"
#include "actors/api/generated/api_bodies.hpp"
#include "actors/api/station_call.hpp"
#include "actors/records/records.hpp"
#include "actors/records/station_password.hpp"
#include "actors/station/csms_call.hpp"

namespace evbroker::actors::api {
namespace {

constexpr std::size_t kGeneratedLength = 20;  // fits 1.6 (16-20 bytes) and 2.0.1 (16-40 characters)
constexpr std::string_view kIdentifierExtras = "*-_=:+|@.";

/// OCPP's identifierString set, which a Basic-auth password travels in unchanged.
bool identifier_string(std::string_view text) {
  for (unsigned char c : text)
    if (!std::isalnum(c) && kIdentifierExtras.find(static_cast<char>(c)) == std::string_view::npos) return false;
  return true;
}

CsmsCall password_call(ocpp::Version version, const std::string& password) {
  if (version == ocpp::Version::v16) {
    ocpp16::ChangeConfigurationRequest request;
    request.key = "AuthorizationKey";
    request.value = authorization_key_hex(password);
    return CsmsCall::of(std::move(request));
  }
  ocpp201::SetVariableDataType data;
  data.component.name = "SecurityCtrlr";
  data.variable.name = "BasicAuthPassword";
  data.attributeValue = password;
  ocpp201::SetVariablesRequest request;
  request.setVariableData.push_back(std::move(data));
  return CsmsCall::of(std::move(request));
}

/// The status the station answered the password with; "" when the answer says nothing about it.
std::string answered_status(const CsmsCallResult& result) {
  if (const auto* v16 = result.response.as<ocpp16::ChangeConfigurationResponse>())
    return std::string(ocpp16::to_string(v16->status));
  if (const auto* v201 = result.response.as<ocpp201::SetVariablesResponse>()) {
    for (const auto& item : v201->setVariableResult)
      if (item.component.name == "SecurityCtrlr" && item.variable.name == "BasicAuthPassword")
        return std::string(ocpp201::to_string(item.attributeStatus));
  }
  return "";
}

/// Whether the station may have taken the password although its answer is not known.
bool maybe_taken(const CsmsCallResult& result) {
  switch (result.kind) {
    case CsmsCallResult::Kind::timeout:
    case CsmsCallResult::Kind::unknown: return true;
    case CsmsCallResult::Kind::disconnected: return result.sent;
    default: return false;
  }
}

enum class Outcome { adopt, drop, keep_offered };

/// Stores what the station's answer means for its passwords; `done` runs after the commit.
void store_outcome(const NodeContextPtr& ctx, const std::string& id, Outcome outcome,
                   std::function<void(const std::string& error)> done) {
  auto changed = std::make_shared<std::optional<std::string>>();
  ctx->committer->submit(
      [id, outcome, changed, now = ctx->clock->now_ms()](storage::WriteTxn& txn) {
        auto stored = txn.get(storage::Table::stations, id);
        auto station = stored ? parse_station_record(*stored) : std::nullopt;
        if (!station) return;  // deregistered meanwhile
        if (outcome == Outcome::adopt && !adopt_offered_password(*station, now)) return;
        if (outcome == Outcome::drop) drop_offered_password(*station);
        if (outcome == Outcome::keep_offered) return;
        *changed = to_json(*station);
        txn.put(storage::Table::stations, id, **changed);
      },
      [ctx, id, changed, done = std::move(done)](const std::string& error) {
        if (error.empty() && *changed && ctx->station_changed) ctx->station_changed(id, **changed);
        done(error);
      });
}

}  // namespace

void change_station_password(Request& r) {
  const std::string id = r.segments.at(1);
  simdjson::dom::parser parser;
  auto body = parse_body(r, parser);
  if (!body) return;
  auto decoded = bodies::decode_password_change(*body);
  if (!decoded) return r.respond(error_response(400, decoded.error()));
  auto stored = r.ctx->store->read().get(storage::Table::stations, id);
  auto station = stored ? parse_station_record(*stored) : std::nullopt;
  if (!station) return r.respond(error_response(404, "unknown charge station " + id));
  if (station->password_hash.empty())
    return r.respond(error_response(409, "charge station " + id +
                                             " is registered without a password (security profile 2 logs in "
                                             "with a client certificate): register it with base64SHA256Password"));
  auto entry = connected_station(r, id);
  if (!entry) return;
  const std::size_t most = entry->version == ocpp::Version::v16 ? 20 : 40;
  const std::string password = decoded->password.value_or(random_password(kGeneratedLength));
  if (password.size() > most)
    return r.respond(error_response(400, "/password: a " + std::string(ocpp::subprotocol(entry->version)) +
                                             " station takes at most " + std::to_string(most) + " characters"));
  if (!identifier_string(password))
    return r.respond(
        error_response(400, "/password: only letters, digits and * - _ = : + | @ . (OCPP's identifierString)"));

  auto ctx = r.ctx;
  auto respond = r.respond;
  auto* system = r.system;
  auto station_actor = entry->actor;
  const auto version = entry->version;
  auto offered = std::make_shared<bool>(false);
  ctx->committer->submit(
      [id, password, offered](storage::WriteTxn& txn) {
        auto record = txn.get(storage::Table::stations, id);
        auto current = record ? parse_station_record(*record) : std::nullopt;
        if (!current || current->password_hash.empty()) return;
        offer_password(*current, password);
        txn.put(storage::Table::stations, id, to_json(*current));
        *offered = true;
      },
      [ctx, respond, system, station_actor, version, id, password, offered](const std::string& error) {
        if (!error.empty()) return respond(error_response(500, "could not store the new password: " + error));
        if (!*offered) return respond(error_response(404, "unknown charge station " + id));
        spawn_csms_call(
            *system, station_actor, password_call(version, password), ctx->settings,
            [ctx, respond, id](CsmsCallResult result) {
              if (result.kind != CsmsCallResult::Kind::result) {
                // Not sent or refused: the old password stays. Sent without an answer: the new one is
                // accepted as well, and adopted when the station logs in with it.
                const auto outcome = maybe_taken(result) ? Outcome::keep_offered : Outcome::drop;
                return store_outcome(ctx, id, outcome,
                                     [respond, result](const std::string&) { respond(call_result_response(result)); });
              }
              auto status = answered_status(result);
              const bool adopted = status == "Accepted" || status == "RebootRequired";
              ctx->station_log->info("{}: answered {} to its new password; {}", id,
                                     status.empty() ? "nothing about it" : status,
                                     adopted ? "adopted" : "the old one stays");
              store_outcome(ctx, id, adopted ? Outcome::adopt : Outcome::drop,
                            [respond, status, adopted](const std::string& store_error) {
                              if (!store_error.empty())
                                return respond(error_response(
                                    500, "the station answered " + status + " but storing it failed: " + store_error));
                              respond(json_response(200, ocpp::to_json(bodies::PasswordChanged{
                                                             status.empty() ? "Unknown" : status, adopted})));
                            });
            });
      });
}

}  // namespace evbroker::actors::api
