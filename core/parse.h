// Allocation-free parsing helpers over std::string_view, for the pure parsers of kernel files,
// and the one result shape for bad input (ParseErrors) that every parser and collector uses.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The value of one hexadecimal digit, -1 when `c` is none.
inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

// One bad item of a parsed file (or of a collector's walk over many files).
struct ItemError {
  int line = 0;           // 1-based line of the file; 0 when the error is not about one line
  std::string message;    // what is wrong, quoting the bad text
  std::string file = {};  // set by collectors that read many files; else the file is the caller's
  // "line N: message" (or the message alone without a line).
  std::string text() const;
};

// The errors a parser result (or a collector) carries: each bad item is skipped and recorded
// here, the good values are kept. Empty (and allocation-free) when all went well.
class ParseErrors {
 public:
  void add(int line, std::string message) { items_.push_back({line, std::move(message)}); }
  // "<what> in "<text, cut at 100 bytes>"".
  void add(int line, std::string_view what, std::string_view text);
  // An error about `file` as a whole (a per-device file that cannot be read or parsed).
  void add_file(std::string file, std::string message, int line = 0) {
    items_.push_back({line, std::move(message), std::move(file)});
  }
  // Takes the errors of a parse of `file` (items that name their own file keep it).
  void append(std::string_view file, const ParseErrors& from);
  void clear() { items_.clear(); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const ItemError& operator[](size_t i) const { return items_[i]; }
  const ItemError& front() const { return items_.front(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

  // The collector's failure message: "PATH:LINE: message (and N more)", PATH being the first
  // item's own file when it has one, else `path`; ":LINE" only when the item has a line.
  std::string message(std::string_view path) const;

 private:
  std::vector<ItemError> items_;
};

// "KEY VALUE" lines (/proc/vmstat, cgroup cpu.stat, memory.stat, memory.events, ...): the one
// key/value parser. Keys are views into the parsed text; blank lines are skipped; a line that
// is not "KEY NUMBER" is an item error. parse_key_values reuses `out`'s storage.
struct KeyValues {
  struct Entry {
    std::string_view key;
    double value = 0;
  };
  std::vector<Entry> entries;
  ParseErrors errors;
  std::optional<double> get(std::string_view key) const {
    for (const auto& e : entries) {
      if (e.key == key) return e.value;
    }
    return std::nullopt;
  }
};

void parse_key_values(std::string_view text, KeyValues& out);

}  // namespace vitals::parse
