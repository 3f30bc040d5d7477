#pragma once
// Local authorization lists kept by the node (issue 14 item 6; OCPP 2.0.1 D01/D02, 1.6 Local Auth
// List Management). A token's `localList` scope says which stations hold it: every station, the
// stations of some groups (a station's `groups`), or named stations. The node keeps, per station,
// the list the station last accepted and its version, and brings the station to the list its
// assigned tokens make (with each token's standing now: Accepted, Blocked, Expired) by sending the
// difference, within the station's ItemsPerMessage / BytesPerMessage / Entries
// (1.6 SendLocalListMaxLength / LocalAuthListMaxLength). local_list_sync.hpp runs this.
//
// Storage:
//   station_runtime <id>\0localList               LocalListRecord (version, state, limits)
//   station_runtime <id>\0localListEntry\0<uid>   LocalListEntryRecord: an entry as the station accepted it
//   tx_index llist\0all\0<uid>, llist\0group\0<group>\0<uid>, llist\0cs\0<id>\0<uid>   "": the tokens
//     each scope names, so that a station's list is read without scanning every token.
//
// Plain logic over the store (tests/actors/local_list_test.cpp).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/core/messages.hpp"
#include "actors/records/generated/record_types.hpp"
#include "storage/lmdb_store.hpp"

namespace evbroker::actors {

/// Which stations a token goes to (docs/openapi.json LocalListScope).
struct LocalListScope {
  bool all = false;
  std::vector<std::string> groups;
  std::vector<std::string> stations;

  bool empty() const { return !all && groups.empty() && stations.empty(); }
  bool covers(std::string_view station, const std::vector<std::string>& station_groups) const;
};

/// The scope a token record's `localList` holds ("" or unreadable: none).
LocalListScope parse_local_list_scope(std::string_view json);
/// The groups a station record's `groups` holds, and the text it holds for `groups` ("" for none).
std::vector<std::string> parse_station_groups(std::string_view json);
std::string station_groups_json(const std::vector<std::string>& groups);
/// The groups of a registered station (none when it is unknown).
std::vector<std::string> station_groups(const storage::Reader& reader, std::string_view station);

/// Keeps the scope index right when a token's scope changes from `before` to `after` (either may be
/// empty: a new or deleted token). Call in the write that stores the token.
void reindex_token_scope(storage::WriteTxn& txn, std::string_view uid, const LocalListScope& before,
                         const LocalListScope& after);

/// One entry of a list: what the station is told of a token.
struct ListEntry {
  std::string status;                     // Accepted | Blocked | Expired
  std::string type;                       // 2.0.1 IdTokenEnumType; empty for 1.6
  std::optional<std::int64_t> expiry_ms;  // the token's expiry
  std::optional<std::string> group;       // parentIdTag / groupIdToken

  bool operator==(const ListEntry&) const = default;
};
using LocalList = std::map<std::string, ListEntry>;  // by uid (the 1.6 idTag, the 2.0.1 idToken)

/// What the station's list should hold now: every token whose scope covers it, with its standing at
/// `now_ms`. 1.6 lists hold idTags of at most 20 characters: longer uids are left out and counted in
/// `left_out`; a group longer than 20 is not given as parentIdTag.
LocalList desired_list(const storage::Reader& reader, std::string_view station, ocpp::Version version,
                       std::int64_t now_ms, std::size_t* left_out = nullptr);
/// What the station accepted last (the node's record of its list).
LocalList sent_list(const storage::Reader& reader, std::string_view station);
/// The station's list record; nullopt when the node never kept a list on it.
std::optional<LocalListRecord> local_list_record(const storage::Reader& reader, std::string_view station);
std::string local_list_key(std::string_view station);

/// 2.0.1 IdTokenEnumType for a token's MaEVe type: RFID cards are ISO14443, the rest Central.
std::string_view id_token_type(std::string_view maeve_type);

/// How much one SendLocalList may carry and how many entries the station holds (0: not known).
struct ListLimits {
  std::size_t items = 0;
  std::size_t bytes = 0;
  std::size_t entries = 0;
};
/// What the station reported of them: 2.0.1 LocalAuthListCtrlr ItemsPerMessage, BytesPerMessage and
/// the maxLimit of Entries in its device model; otherwise what the record kept from reading them.
ListLimits known_list_limits(const storage::Reader& reader, std::string_view station, ocpp::Version version,
                             const std::optional<LocalListRecord>& record);

/// One change of a list: set `uid` to `entry`, or remove it (nullopt).
struct ListChange {
  std::string uid;
  std::optional<ListEntry> entry;
};
/// One SendLocalList.
struct ListUpdate {
  bool full = false;
  std::int64_t version = 0;
  std::vector<ListChange> changes;
};
struct ListPlan {
  std::vector<ListUpdate> updates;
  std::string refusal;  // why nothing can be sent (more entries than the station holds)
};

/// The changes from `sent` to `desired`, by uid.
std::vector<ListChange> list_changes(const LocalList& desired, const LocalList& sent);

/// The SendLocalLists that bring a station holding `sent` at `version` to `desired`. A Full update
/// when `full` is asked, when the station never had a list from the node (version 0), or when the
/// whole list is smaller than the changes (an emptied list is a Full update without entries,
/// TC_D_04); otherwise Differential ones (a removal carries no idTokenInfo, D01.FR.17). More
/// entries than `limits.items` or `limits.bytes` allow go in several updates: a Full one with the
/// first part and Differential ones with the rest. Each update has the next version.
ListPlan plan_list_updates(ocpp::Version version, const LocalList& desired, const LocalList& sent,
                           std::int64_t list_version, bool full, const ListLimits& limits);

/// The SendLocalList of `update` for a station of `version`.
CsmsCall list_update_call(ocpp::Version version, const ListUpdate& update);

/// The station's answer to a SendLocalList, as one word: Accepted, Failed, VersionMismatch,
/// NotSupported (1.6, or a CALLERROR NotSupported / NotImplemented), or "" when it gave none.
std::string list_update_answer(const CsmsCallResult& result);

/// Stores an update the station accepted: its entries (a Full one replaces them all) and version.
void store_accepted_update(storage::WriteTxn& txn, std::string_view station, const ListUpdate& update);

}  // namespace evbroker::actors
