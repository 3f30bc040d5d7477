#include "actors/api/body_checks.hpp"

#include <cctype>
#include <cstddef>

namespace evbroker::actors::api {

bool contains_emaid(std::string_view text) {
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t start = 0; start < text.size(); ++start) {
    std::size_t i = start;
    auto take = [&](std::size_t n, auto accept) {
      for (std::size_t k = 0; k < n; ++k, ++i)
        if (i >= text.size() || !accept(text[i])) return false;
      return true;
    };
    auto optional_dash = [&] {
      if (i < text.size() && text[i] == '-') ++i;
    };
    if (!take(2, alpha)) continue;
    optional_dash();
    if (!take(3, alpha)) continue;
    optional_dash();
    if (take(9, alnum)) return true;  // the optional check digit never makes a match fail
  }
  return false;
}

bool is_group_name(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  return true;
}

}  // namespace evbroker::actors::api
