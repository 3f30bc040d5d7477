# Writes OUT, a C++ file returning the text of IN (docs/openapi.json).
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from docs/openapi.json at build time. Do not edit.\n"
  "#include \"actors/api/openapi_document.hpp\"\n"
  "namespace evbroker::actors {\n"
  "std::string_view openapi_document() {\n"
  "  static constexpr std::string_view kText = R\"evbroker_openapi(${text})evbroker_openapi\";\n"
  "  return kText;\n}\n}  // namespace evbroker::actors\n")
