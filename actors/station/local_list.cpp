#include "actors/station/local_list.hpp"

#include <algorithm>
#include <set>

#include <simdjson.h>

#include "actors/records/json_read.hpp"
#include "actors/records/token_standing.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/ocpp16/types.hpp"
#include "protocol/ocpp201/types.hpp"

namespace evbroker::actors {
namespace {

constexpr std::string_view kIndex = "llist";
constexpr std::size_t kMaxIdTag16 = 20;  // 1.6 idTag and parentIdTag: CiString20Type
/// What a SendLocalList costs besides its entries: the frame around the payload (message id of up to
/// 36 characters, the action) and the payload's other members, with room to spare.
constexpr std::size_t kUpdateOverheadBytes = 160;

std::vector<std::string> string_array(simdjson::dom::element element) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  if (element.get(array) != simdjson::SUCCESS) return out;
  for (auto item : array) {
    std::string_view text;
    if (item.get(text) == simdjson::SUCCESS) out.emplace_back(text);
  }
  return out;
}

std::string entries_prefix(std::string_view station) { return storage::prefix({station, "localListEntry"}); }

std::string entry_key(std::string_view station, std::string_view uid) {
  return entries_prefix(station) + std::string(uid);
}

LocalListEntryRecord to_record(const ListEntry& entry) {
  return LocalListEntryRecord{
      .status = entry.status, .type = entry.type, .expiry_ms = entry.expiry_ms, .group_id = entry.group};
}

std::string_view standing_name(TokenStanding standing) {
  switch (standing) {
    case TokenStanding::accepted: return "Accepted";
    case TokenStanding::blocked: return "Blocked";
    case TokenStanding::expired: return "Expired";
  }
  return "Accepted";
}

ocpp16::AuthorizationData entry_16(const ListChange& change) {
  ocpp16::AuthorizationData data;
  data.idTag = change.uid;
  if (!change.entry) return data;  // a removal
  ocpp16::IdTagInfo info;
  ocpp16::parse_enum(change.entry->status, info.status);
  if (change.entry->expiry_ms) info.expiryDate = ocpp::DateTime::from_unix_ms(*change.entry->expiry_ms);
  info.parentIdTag = change.entry->group;
  data.idTagInfo = std::move(info);
  return data;
}

ocpp201::AuthorizationData entry_201(const ListChange& change) {
  ocpp201::AuthorizationData data;
  data.idToken.idToken = change.uid;
  data.idToken.type = ocpp201::IdTokenEnumType::Central;
  if (!change.entry) return data;  // a removal (D01.FR.17: no idTokenInfo)
  ocpp201::parse_enum(change.entry->type, data.idToken.type);
  ocpp201::IdTokenInfoType info;
  ocpp201::parse_enum(change.entry->status, info.status);
  if (change.entry->expiry_ms) info.cacheExpiryDateTime = ocpp::DateTime::from_unix_ms(*change.entry->expiry_ms);
  if (change.entry->group) {
    ocpp201::IdTokenType group;
    group.idToken = *change.entry->group;
    group.type = ocpp201::IdTokenEnumType::Central;
    info.groupIdToken = std::move(group);
  }
  data.idTokenInfo = std::move(info);
  return data;
}

std::size_t change_bytes(ocpp::Version version, const ListChange& change) {
  return (version == ocpp::Version::v16 ? ocpp::to_json(entry_16(change)) : ocpp::to_json(entry_201(change))).size() +
         1;  // and its comma
}

/// `changes` cut into parts within the limits, in order (a part holds at least one change).
std::vector<std::vector<ListChange>> parts_of(ocpp::Version version, std::vector<ListChange> changes,
                                              const ListLimits& limits) {
  std::vector<std::vector<ListChange>> parts;
  std::vector<ListChange> part;
  std::size_t bytes = kUpdateOverheadBytes;
  for (auto& change : changes) {
    const auto size = limits.bytes ? change_bytes(version, change) : 0;
    const bool full_by_items = limits.items && part.size() >= limits.items;
    const bool full_by_bytes = limits.bytes && !part.empty() && bytes + size > limits.bytes;
    if (full_by_items || full_by_bytes) {
      parts.push_back(std::move(part));
      part.clear();
      bytes = kUpdateOverheadBytes;
    }
    bytes += size;
    part.push_back(std::move(change));
  }
  if (!part.empty()) parts.push_back(std::move(part));
  return parts;
}

}  // namespace

bool LocalListScope::covers(std::string_view station, const std::vector<std::string>& station_groups) const {
  if (all) return true;
  if (std::find(stations.begin(), stations.end(), station) != stations.end()) return true;
  return std::any_of(groups.begin(), groups.end(), [&](const std::string& g) {
    return std::find(station_groups.begin(), station_groups.end(), g) != station_groups.end();
  });
}

LocalListScope parse_local_list_scope(std::string_view json) {
  LocalListScope scope;
  if (json.empty()) return scope;
  simdjson::dom::object o;
  if (json::thread_parser().parse(json.data(), json.size()).get(o) != simdjson::SUCCESS) return scope;
  scope.all = json::get_bool(o, "all").value_or(false);
  if (auto groups = o["groups"]; groups.error() == simdjson::SUCCESS) scope.groups = string_array(groups.value());
  if (auto stations = o["stations"]; stations.error() == simdjson::SUCCESS)
    scope.stations = string_array(stations.value());
  return scope;
}

std::vector<std::string> parse_station_groups(std::string_view json) {
  if (json.empty()) return {};
  simdjson::dom::element element;
  if (json::thread_parser().parse(json.data(), json.size()).get(element) != simdjson::SUCCESS) return {};
  return string_array(element);
}

std::string station_groups_json(const std::vector<std::string>& groups) {
  if (groups.empty()) return "";
  std::string out;
  ocpp::JsonWriter w(out);
  w.raw('[');
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i) w.raw(',');
    w.string(groups[i]);
  }
  w.raw(']');
  return out;
}

std::vector<std::string> station_groups(const storage::Reader& reader, std::string_view station) {
  auto stored = reader.get(storage::Table::stations, station);
  if (!stored) return {};
  auto record = parse_station_record(*stored);
  return record ? parse_station_groups(record->groups) : std::vector<std::string>{};
}

void reindex_token_scope(storage::WriteTxn& txn, std::string_view uid, const LocalListScope& before,
                         const LocalListScope& after) {
  auto keys = [uid](const LocalListScope& scope) {
    std::set<std::string> out;
    if (scope.all) out.insert(storage::key({kIndex, "all", uid}));
    for (const auto& g : scope.groups) out.insert(storage::key({kIndex, "group", g, uid}));
    for (const auto& s : scope.stations) out.insert(storage::key({kIndex, "cs", s, uid}));
    return out;
  };
  const auto old_keys = keys(before);
  const auto new_keys = keys(after);
  for (const auto& k : old_keys)
    if (!new_keys.count(k)) txn.del(storage::Table::tx_index, k);
  for (const auto& k : new_keys)
    if (!old_keys.count(k)) txn.put(storage::Table::tx_index, k, "");
}

std::string_view id_token_type(std::string_view maeve_type) { return maeve_type == "RFID" ? "ISO14443" : "Central"; }

LocalList desired_list(const storage::Reader& reader, std::string_view station, ocpp::Version version,
                       std::int64_t now_ms, std::size_t* left_out) {
  std::set<std::string> uids;
  auto collect = [&](const std::string& prefix) {
    reader.scan(storage::Table::tx_index, prefix, [&](std::string_view key, std::string_view) {
      uids.emplace(key.substr(prefix.size()));
      return true;
    });
  };
  collect(storage::prefix({kIndex, "all"}));
  collect(storage::prefix({kIndex, "cs", station}));
  for (const auto& g : station_groups(reader, station)) collect(storage::prefix({kIndex, "group", g}));

  LocalList list;
  std::size_t skipped = 0;
  for (const auto& uid : uids) {
    auto stored = reader.get(storage::Table::tokens, uid);
    auto token = stored ? parse_token_record(*stored) : std::nullopt;
    if (!token) continue;  // deleted since (its index goes with it) or unreadable
    if (version == ocpp::Version::v16 && uid.size() > kMaxIdTag16) {
      ++skipped;
      continue;
    }
    ListEntry entry;
    entry.status = standing_name(token_standing(*token, now_ms));
    if (version != ocpp::Version::v16) entry.type = id_token_type(token->type);
    entry.expiry_ms = token->expiry_ms;
    if (token->group_id && (version != ocpp::Version::v16 || token->group_id->size() <= kMaxIdTag16))
      entry.group = token->group_id;
    list.emplace(uid, std::move(entry));
  }
  if (left_out) *left_out = skipped;
  return list;
}

LocalList sent_list(const storage::Reader& reader, std::string_view station) {
  LocalList list;
  const auto prefix = entries_prefix(station);
  reader.scan(storage::Table::station_runtime, prefix, [&](std::string_view key, std::string_view value) {
    if (auto r = parse_local_list_entry_record(value))
      list.emplace(std::string(key.substr(prefix.size())),
                   ListEntry{.status = r->status, .type = r->type, .expiry_ms = r->expiry_ms, .group = r->group_id});
    return true;
  });
  return list;
}

std::string local_list_key(std::string_view station) { return storage::key({station, "localList"}); }

std::optional<LocalListRecord> local_list_record(const storage::Reader& reader, std::string_view station) {
  auto stored = reader.get(storage::Table::station_runtime, local_list_key(station));
  return stored ? parse_local_list_record(*stored) : std::nullopt;
}

ListLimits known_list_limits(const storage::Reader& reader, std::string_view station, ocpp::Version version,
                             const std::optional<LocalListRecord>& record) {
  ListLimits limits;
  if (record) {
    limits.items = static_cast<std::size_t>(std::max<std::int64_t>(record->items_per_message, 0));
    limits.bytes = static_cast<std::size_t>(std::max<std::int64_t>(record->bytes_per_message, 0));
    limits.entries = static_cast<std::size_t>(std::max<std::int64_t>(record->max_entries, 0));
  }
  if (version == ocpp::Version::v16) return limits;
  // The device model (NotifyReport): <id>\0LocalAuthListCtrlr\0<variable>.
  auto reported = [&](std::string_view variable, bool max_limit) -> std::optional<std::size_t> {
    auto stored = reader.get(storage::Table::device_model, storage::key({station, "LocalAuthListCtrlr", variable}));
    if (!stored) return std::nullopt;
    simdjson::dom::object o;
    if (json::thread_parser().parse(stored->data(), stored->size()).get(o) != simdjson::SUCCESS) return std::nullopt;
    if (max_limit) {
      simdjson::dom::object characteristics;
      if (o["variableCharacteristics"].get(characteristics) != simdjson::SUCCESS) return std::nullopt;
      auto limit = json::get_number(characteristics, "maxLimit");
      return limit && *limit >= 1 ? std::optional<std::size_t>(static_cast<std::size_t>(*limit)) : std::nullopt;
    }
    simdjson::dom::array attributes;
    if (o["variableAttribute"].get(attributes) != simdjson::SUCCESS) return std::nullopt;
    for (auto attribute : attributes) {
      simdjson::dom::object a;
      if (attribute.get(a) != simdjson::SUCCESS || json::get_string(a, "type").value_or("Actual") != "Actual") continue;
      auto value = json::get_string(a, "value");
      if (!value) continue;
      try {
        auto n = std::stoll(*value);
        if (n >= 1) return static_cast<std::size_t>(n);
      } catch (...) {
      }
    }
    return std::nullopt;
  };
  if (auto n = reported("ItemsPerMessage", false)) limits.items = *n;
  if (auto n = reported("BytesPerMessage", false)) limits.bytes = *n;
  if (auto n = reported("Entries", true)) limits.entries = *n;
  return limits;
}

std::vector<ListChange> list_changes(const LocalList& desired, const LocalList& sent) {
  std::vector<ListChange> changes;
  auto d = desired.begin();
  auto s = sent.begin();
  while (d != desired.end() || s != sent.end()) {
    if (s == sent.end() || (d != desired.end() && d->first < s->first)) {
      changes.push_back({d->first, d->second});
      ++d;
    } else if (d == desired.end() || s->first < d->first) {
      changes.push_back({s->first, std::nullopt});
      ++s;
    } else {
      if (!(d->second == s->second)) changes.push_back({d->first, d->second});
      ++d;
      ++s;
    }
  }
  return changes;
}

ListPlan plan_list_updates(ocpp::Version version, const LocalList& desired, const LocalList& sent,
                           std::int64_t list_version, bool full, const ListLimits& limits) {
  ListPlan plan;
  if (limits.entries && desired.size() > limits.entries) {
    plan.refusal = std::to_string(desired.size()) + " tokens are assigned to the station, which holds at most " +
                   std::to_string(limits.entries) + " (LocalAuthListCtrlr.Entries / LocalAuthListMaxLength)";
    return plan;
  }
  auto changes = list_changes(desired, sent);
  if (!full && changes.empty()) return plan;
  const bool as_full = full || list_version <= 0 || changes.size() > desired.size();
  if (as_full) {
    changes.clear();
    for (const auto& [uid, entry] : desired) changes.push_back({uid, entry});
  }
  auto parts = parts_of(version, std::move(changes), limits);
  if (parts.empty()) parts.emplace_back();  // a Full update of an empty list
  std::int64_t next = std::max<std::int64_t>(list_version, 0);
  for (std::size_t i = 0; i < parts.size(); ++i)
    plan.updates.push_back(ListUpdate{.full = as_full && i == 0, .version = ++next, .changes = std::move(parts[i])});
  return plan;
}

CsmsCall list_update_call(ocpp::Version version, const ListUpdate& update) {
  if (version == ocpp::Version::v16) {
    ocpp16::SendLocalListRequest request;
    request.listVersion = update.version;
    request.updateType = update.full ? ocpp16::UpdateType::Full : ocpp16::UpdateType::Differential;
    std::vector<ocpp16::AuthorizationData> data;
    for (const auto& change : update.changes) data.push_back(entry_16(change));
    if (!data.empty()) request.localAuthorizationList = std::move(data);
    return CsmsCall::of(std::move(request));
  }
  ocpp201::SendLocalListRequest request;
  request.versionNumber = update.version;
  request.updateType = update.full ? ocpp201::UpdateEnumType::Full : ocpp201::UpdateEnumType::Differential;
  std::vector<ocpp201::AuthorizationData> data;
  for (const auto& change : update.changes) data.push_back(entry_201(change));
  if (!data.empty()) request.localAuthorizationList = std::move(data);  // minItems 1: an empty list is left out
  return CsmsCall::of(std::move(request));
}

std::string list_update_answer(const CsmsCallResult& result) {
  if (result.kind == CsmsCallResult::Kind::call_error)
    return result.error_code == "NotSupported" || result.error_code == "NotImplemented" ? "NotSupported" : "";
  if (result.kind != CsmsCallResult::Kind::result) return "";
  simdjson::dom::object o;
  if (json::thread_parser().parse(result.payload).get(o) != simdjson::SUCCESS) return "";
  return json::get_string(o, "status").value_or("");
}

void store_accepted_update(storage::WriteTxn& txn, std::string_view station, const ListUpdate& update) {
  if (update.full) txn.del_prefix(storage::Table::station_runtime, entries_prefix(station));
  for (const auto& change : update.changes) {
    if (change.entry)
      txn.put(storage::Table::station_runtime, entry_key(station, change.uid), to_json(to_record(*change.entry)));
    else
      txn.del(storage::Table::station_runtime, entry_key(station, change.uid));
  }
}

}  // namespace evbroker::actors
