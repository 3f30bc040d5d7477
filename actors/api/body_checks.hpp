#pragma once
// The checks docs/openapi.json's patterns stand for (x-check): the generated decoders call these
// instead of running regular expressions on input, whose cost a client would choose.

#include <string_view>

namespace evbroker::actors::api {

/// MaEVe's contractId pattern, unanchored as JSON Schema patterns are:
/// [A-Za-z]{2} -? [A-Za-z]{3} -? [A-Za-z0-9]{9} (-? [A-Za-z0-9])?   (an eMAID such as GB-TWK-012345678-V)
bool contains_emaid(std::string_view text);

/// A station group's name: ^[A-Za-z0-9._:-]+$ (lengths are checked by the schema).
bool is_group_name(std::string_view text);

}  // namespace evbroker::actors::api
