#pragma once
// The work waiting for a charge station, listed and cancelled (docs/api.md "Work waiting for a
// station"; the kinds: actors/station/pending_work.hpp).

#include "actors/api/api_support.hpp"

namespace evbroker::actors::api {

/// GET /api/v0/cs/{csId}/pending
void list_station_pending(Request& r);
/// DELETE /api/v0/cs/{csId}/pending/{pendingId}
void cancel_station_pending(Request& r);

}  // namespace evbroker::actors::api
