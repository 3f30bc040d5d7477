#pragma once
// The station, token and transaction records (tables `stations`, `tokens`, `transactions`): their
// types and JSON forms are generated from records.schema.json (generated/record_types.hpp); what
// is written by hand is here and in records.cpp. Key layouts: storage/README.md.

#include "actors/records/generated/record_types.hpp"
