#include "collectors/procfs/interrupts.h"

#include "core/parse.h"

namespace vitals::procfs {
namespace {

void join_rest(std::string_view rest, std::string* out) {
  std::string_view f;
  while (parse::next_field(rest, f)) {
    if (!out->empty()) out->push_back(' ');
    out->append(f);
  }
}

}  // namespace

Interrupts parse_interrupts(std::string_view text) {
  Interrupts r;
  std::string_view line;
  int n = 0;
  if (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, f;
    while (parse::next_field(rest, f)) {
      if (f.substr(0, 3) != "CPU") {
        r.errors.add(n, "invalid header", line);
        return r;
      }
      ++r.cpus;
    }
  }
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, name;
    if (!parse::next_field(rest, name)) continue;
    if (name.back() != ':') {
      r.errors.add(n, "missing ':' after the interrupt name", line);
      continue;
    }
    name.remove_suffix(1);
    InterruptLine il;
    il.type = name;
    il.counts.reserve(r.cpus);
    std::string_view f;
    int got = 0;
    bool bad = false;
    while (got < r.cpus && parse::next_field(rest, f)) {
      auto v = parse::to_u64(f);
      if (!v) {
        bad = true;
        break;
      }
      il.counts.push_back(double(*v));
      ++got;
    }
    if (bad) {
      r.errors.add(n, "invalid per-CPU count", line);
      continue;
    }
    // Lines such as "ERR: 0" carry one total and no per-CPU columns; node_exporter skips
    // them, as it does any line without a description after the counts.
    if (got < r.cpus) continue;
    std::string_view probe = rest;
    if (!parse::next_field(probe, f)) continue;
    if (parse::to_u64(name)) {
      parse::next_field(rest, f);
      il.info = f;
      join_rest(rest, &il.devices);
    } else {
      join_rest(rest, &il.info);
    }
    r.lines.push_back(std::move(il));
  }
  return r;
}

}  // namespace vitals::procfs
