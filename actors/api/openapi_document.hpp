#pragma once
// docs/openapi.json, embedded at build time (actors/CMakeLists.txt) so the binary serves it
// without the source tree.
#include <string_view>
namespace evbroker::actors {
std::string_view openapi_document();
}
