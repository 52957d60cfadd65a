#include "core/parse.h"

namespace vitals::parse {

std::string ItemError::text() const {
  if (line <= 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

void ParseErrors::add(int line, std::string_view what, std::string_view text) {
  text = text.substr(0, 100);
  std::string m;
  m.reserve(what.size() + text.size() + 5);
  m.append(what);
  m.append(" in \"");
  m.append(text);
  m.push_back('"');
  items_.push_back({line, std::move(m)});
}

void ParseErrors::append(std::string_view file, const ParseErrors& from) {
  for (const auto& e : from.items_) {
    items_.push_back({e.line, e.message, e.file.empty() ? std::string(file) : e.file});
  }
}

std::string ParseErrors::message(std::string_view path) const {
  if (items_.empty()) return {};
  const ItemError& e = items_.front();
  std::string m(e.file.empty() ? path : std::string_view(e.file));
  // Appended piece by piece: GCC 12 at -O3 (Release) warns -Wrestrict, falsely, about
  // `":" + std::to_string(...)` here.
  if (e.line > 0) {
    m += ':';
    m += std::to_string(e.line);
  }
  m += ": ";
  m += e.message;
  if (items_.size() > 1) {
    m += " (and ";
    m += std::to_string(items_.size() - 1);
    m += " more)";
  }
  return m;
}

void parse_key_values(std::string_view text, KeyValues& out) {
  out.entries.clear();
  out.errors.clear();
  std::string_view line;
  int n = 0;
  while (next_line(text, line)) {
    ++n;
    std::string_view rest = line, key, val, more;
    if (!next_field(rest, key)) continue;
    if (!next_field(rest, val) || next_field(rest, more)) {
      out.errors.add(n, "expected \"KEY VALUE\"", line);
      continue;
    }
    auto v = to_double(val);
    if (!v) {
      out.errors.add(n, "invalid value for " + std::string(key), line);
      continue;
    }
    out.entries.push_back({key, *v});
  }
}

}  // namespace vitals::parse
