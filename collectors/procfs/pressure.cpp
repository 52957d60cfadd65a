#include "collectors/procfs/pressure.h"

#include "core/parse.h"

namespace vitals::procfs {

Pressure parse_pressure(std::string_view text) {
  Pressure p;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, kind, f;
    if (!parse::next_field(rest, kind)) continue;
    std::optional<double>* target = nullptr;
    if (kind == "some")
      target = &p.some_total_us;
    else if (kind == "full")
      target = &p.full_total_us;
    else {
      p.errors.add(n, "unknown pressure line", line);
      continue;
    }
    std::optional<double> total;
    while (parse::next_field(rest, f)) {
      if (f.substr(0, 6) == "total=") total = parse::to_u64(f.substr(6));
    }
    if (!total) {
      p.errors.add(n, "missing or invalid total=", line);
      continue;
    }
    *target = total;
  }
  return p;
}

}  // namespace vitals::procfs
