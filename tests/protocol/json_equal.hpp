#pragma once
// Structural JSON equality for tests: objects compare as unordered maps, numbers by value
// (so 100 equals 100.0), strings after unescaping.

#include <simdjson.h>

#include <map>
#include <string>
#include <string_view>

namespace evbroker::test {

inline bool json_equal(simdjson::dom::element a, simdjson::dom::element b) {
  using simdjson::dom::element_type;
  auto is_number = [](element_type t) {
    return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
  };
  if (is_number(a.type()) && is_number(b.type())) return double(a.get_double()) == double(b.get_double());
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object oa = a.get_object(), ob = b.get_object();
      if (oa.size() != ob.size()) return false;
      std::map<std::string_view, simdjson::dom::element> members;
      for (auto [k, v] : ob) members.emplace(k, v);
      for (auto [k, v] : oa) {
        auto it = members.find(k);
        if (it == members.end() || !json_equal(v, it->second)) return false;
      }
      return true;
    }
    case element_type::ARRAY: {
      simdjson::dom::array xa = a.get_array(), xb = b.get_array();
      if (xa.size() != xb.size()) return false;
      auto ib = xb.begin();
      for (auto ea : xa) {
        if (!json_equal(ea, *ib)) return false;
        ++ib;
      }
      return true;
    }
    case element_type::STRING: return std::string_view(a.get_string()) == std::string_view(b.get_string());
    case element_type::BOOL: return bool(a.get_bool()) == bool(b.get_bool());
    case element_type::NULL_VALUE: return true;
    default: return false;
  }
}

inline bool json_text_equal(std::string_view a, std::string_view b) {
  simdjson::dom::parser pa, pb;
  simdjson::padded_string sa(a), sb(b);
  simdjson::dom::element ea, eb;
  if (pa.parse(sa).get(ea) || pb.parse(sb).get(eb)) return false;
  return json_equal(ea, eb);
}

}  // namespace evbroker::test
