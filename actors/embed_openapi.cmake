# Writes OUT, a C++ file returning the text of IN (docs/openapi.json).
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from docs/openapi.json at build time. Do not edit.\n"
  "#include \"actors/api/openapi_document.hpp\"\n"
  "namespace evbroker::actors {\n"
  "std::string_view openapi_document() {\n"
  "  // An array, not a constexpr string_view: measuring a literal this long at compile time goes past\n"
  "  // GCC's constexpr loop limit.\n"
  "  static const char kText[] = R\"evbroker_openapi(${text})evbroker_openapi\";\n"
  "  return std::string_view(kText, sizeof kText - 1);\n}\n}  // namespace evbroker::actors\n")
