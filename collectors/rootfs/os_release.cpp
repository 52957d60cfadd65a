#include "collectors/rootfs/os_release.h"

#include "core/parse.h"

namespace vitals::rootfs {

OsRelease parse_os_release(std::string_view text) {
  OsRelease r;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view l = parse::trim(line);
    if (l.empty() || l.front() == '#') continue;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      r.errors.add(n, "expected KEY=value", l);
      continue;
    }
    std::string key(parse::trim(l.substr(0, eq)));
    std::string_view raw = l.substr(eq + 1);
    std::string val;
    bool ok = true;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      char q = raw.front();
      size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == q) {
          closed = true;
          ++i;
          break;
        }
        if (q == '"' && c == '\\' && i + 1 < raw.size()) {
          char nx = raw[i + 1];
          if (nx == '"' || nx == '\\' || nx == '$' || nx == '`') {
            val.push_back(nx);
            ++i;
            continue;
          }
        }
        val.push_back(c);
      }
      if (!closed || !parse::trim(raw.substr(i)).empty()) ok = false;
    } else {
      val.assign(raw);
    }
    if (!ok) {
      r.errors.add(n, "unterminated quote for " + key, l);
      continue;
    }
    r.fields[key] = std::move(val);
  }
  return r;
}

double os_version_number(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == 0) return 0;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  }
  auto d = parse::to_double(v.substr(0, i));
  return d ? *d : 0;
}

}  // namespace vitals::rootfs
