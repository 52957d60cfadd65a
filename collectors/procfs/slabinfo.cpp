#include "collectors/procfs/slabinfo.h"

#include <array>

namespace vitals::procfs {

Slabinfo parse_slabinfo(std::string_view text) {
  Slabinfo r;
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    if (n == 1) {
      if (parse::trim(line) != "slabinfo - version: 2.1") {
        r.errors.add(n, "unsupported slabinfo version", line);
        return r;
      }
      continue;
    }
    if (parse::trim(line).empty() || line.front() == '#') continue;
    // "name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit>
    // <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>"
    std::array<std::string_view, 6> f;
    std::string_view fields = line, x;
    size_t count = 0;
    while (parse::next_field(fields, x)) {
      if (x == ":") continue;
      if (count < f.size()) f[count] = x;
      ++count;
    }
    if (count < 12) {
      r.errors.add(n, "expected 12 fields, got " + std::to_string(count), line);
      continue;
    }
    Slab s;
    s.name.assign(f[0]);
    int64_t* out[] = {&s.active_objects, &s.objects, &s.object_size, &s.objects_per_slab,
                      &s.pages_per_slab};
    bool ok = true;
    for (size_t i = 0; i < 5 && ok; ++i) {
      auto v = parse::to_i64(f[i + 1]);
      if (!v) {
        r.errors.add(n, "invalid number \"" + std::string(f[i + 1]) + "\"", line);
        ok = false;
      } else {
        *out[i] = *v;
      }
    }
    if (ok) r.slabs.push_back(std::move(s));
  }
  return r;
}

}  // namespace vitals::procfs
