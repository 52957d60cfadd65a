#include "collectors/procfs/stat.h"

#include "core/parse.h"

namespace vitals::procfs {
namespace {

bool first_number(std::string_view rest, double* out) {
  std::string_view f;
  if (!parse::next_field(rest, f)) return false;
  auto v = parse::to_double(f);
  if (!v) return false;
  *out = *v;
  return true;
}

}  // namespace

Stat parse_stat(std::string_view text) {
  Stat s;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, key;
    if (!parse::next_field(rest, key)) continue;
    if (key.substr(0, 3) == "cpu") {
      CpuTicks c;
      if (key.size() > 3) {
        auto idx = parse::to_u64(key.substr(3));
        if (!idx) {
          s.errors.add(n, "invalid cpu name", line);
          continue;
        }
        c.cpu = static_cast<int>(*idx);
      }
      std::string_view f;
      bool ok = true;
      while (c.fields < 10 && parse::next_field(rest, f)) {
        auto v = parse::to_double(f);
        if (!v) {
          ok = false;
          break;
        }
        c.ticks[c.fields++] = *v;
      }
      if (!ok || c.fields < 4) {
        s.errors.add(n, "invalid cpu times", line);
        continue;
      }
      if (c.cpu < 0) {
        s.total = c;
      } else {
        s.cpus.push_back(c);
      }
      continue;
    }
    double v;
    std::optional<double>* target = nullptr;
    if (key == "intr")
      target = &s.intr_total;
    else if (key == "ctxt")
      target = &s.context_switches;
    else if (key == "btime")
      target = &s.boot_time;
    else if (key == "processes")
      target = &s.forks;
    else if (key == "procs_running")
      target = &s.procs_running;
    else if (key == "procs_blocked")
      target = &s.procs_blocked;
    else if (key == "softirq")
      target = &s.softirq_total;
    if (!target) continue;  // lines this parser does not know are not errors
    if (!first_number(rest, &v)) {
      s.errors.add(n, "invalid value", line);
      continue;
    }
    *target = v;
    if (key == "softirq") {
      std::string_view f;
      parse::next_field(rest, f);  // the total
      std::vector<double> vec;
      bool ok = true;
      while (parse::next_field(rest, f)) {
        auto x = parse::to_double(f);
        if (!x) {
          ok = false;
          break;
        }
        vec.push_back(*x);
      }
      if (!ok) {
        s.errors.add(n, "invalid softirq counts", line);
        continue;
      }
      s.softirqs = std::move(vec);
    }
  }
  return s;
}

}  // namespace vitals::procfs
