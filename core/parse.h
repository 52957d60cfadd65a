// Allocation-free parsing helpers over std::string_view, for the pure parsers of kernel files.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::parse {

// Takes the next line (without its '\n') off the front of `text`. Returns false at the end.
inline bool next_line(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) {
    line = text;
    text = {};
  } else {
    line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
  }
  return true;
}

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\n';
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Takes the next whitespace-separated field off the front of `s`. Returns false when none is
// left.
inline bool next_field(std::string_view& s, std::string_view& field) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  if (i == s.size()) {
    s = {};
    return false;
  }
  size_t j = i;
  while (j < s.size() && !is_space(s[j])) ++j;
  field = s.substr(i, j - i);
  s.remove_prefix(j);
  return true;
}

inline std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

inline std::optional<int64_t> to_i64(std::string_view s) {
  int64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

inline std::optional<double> to_double(std::string_view s) {
  // Most kernel numbers are small non-negative integers: convert those without from_chars.
  if (!s.empty() && s.size() <= 15) {
    uint64_t v = 0;
    bool digits = true;
    for (char c : s) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) return static_cast<double>(v);
  }
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace vitals::parse
