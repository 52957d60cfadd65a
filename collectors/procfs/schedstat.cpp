#include "collectors/procfs/schedstat.h"

#include "core/parse.h"

namespace vitals::procfs {

Schedstat parse_schedstat(std::string_view text) {
  Schedstat s;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, name, f;
    if (!parse::next_field(rest, name) || name.substr(0, 3) != "cpu") continue;
    SchedstatCpu c;
    c.cpu = name.substr(3);
    double v[9];
    int got = 0;
    bool ok = parse::to_u64(c.cpu).has_value();
    while (ok && got < 9 && parse::next_field(rest, f)) {
      auto x = parse::to_u64(f);
      if (!x)
        ok = false;
      else
        v[got++] = double(*x);
    }
    if (!ok || got < 9) {
      s.errors.add(n, "expected a cpu number and 9 counters", line);
      continue;
    }
    c.running_ns = v[6];
    c.waiting_ns = v[7];
    c.timeslices = v[8];
    s.cpus.push_back(c);
  }
  return s;
}

}  // namespace vitals::procfs
