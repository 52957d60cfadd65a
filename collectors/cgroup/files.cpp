#include "collectors/cgroup/files.h"

#include "core/parse.h"

namespace vitals::cgroup {
namespace {

// The whole text must be one token (surrounding whitespace and newline allowed).
bool single_token(std::string_view text, std::string_view* tok) {
  std::string_view rest = parse::trim(text), t;
  if (!parse::next_field(rest, t)) return false;
  std::string_view more;
  if (parse::next_field(rest, more)) return false;
  *tok = t;
  return true;
}

}  // namespace

std::optional<double> parse_single(std::string_view text) {
  std::string_view tok;
  if (!single_token(text, &tok)) return std::nullopt;
  return parse::to_double(tok);
}

std::optional<Limit> parse_limit(std::string_view text) {
  std::string_view tok;
  if (!single_token(text, &tok)) return std::nullopt;
  if (tok == "max") return Limit{true, 0};
  auto v = parse::to_double(tok);
  if (!v) return std::nullopt;
  return Limit{false, *v};
}

std::optional<CpuMax> parse_cpu_max(std::string_view text) {
  std::string_view rest = parse::trim(text), q, p, more;
  if (!parse::next_field(rest, q) || !parse::next_field(rest, p) || parse::next_field(rest, more)) {
    return std::nullopt;
  }
  CpuMax m;
  auto period = parse::to_double(p);
  if (!period) return std::nullopt;
  m.period_us = *period;
  if (q != "max") {
    auto quota = parse::to_double(q);
    if (!quota) return std::nullopt;
    m.quota_us = *quota;
  }
  return m;
}

void parse_nested_keyed(std::string_view text, NestedKeyed& out) {
  out.entries.clear();
  out.errors.clear();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, key, pair;
    if (!parse::next_field(rest, key)) continue;
    while (parse::next_field(rest, pair)) {
      size_t eq = pair.find('=');
      std::optional<double> v;
      if (eq != std::string_view::npos && eq > 0) v = parse::to_double(pair.substr(eq + 1));
      if (!v) {
        out.errors.add(n, "invalid pair \"" + std::string(pair) + "\"", line);
        continue;
      }
      out.entries.push_back({key, pair.substr(0, eq), *v});
    }
  }
}

void parse_blkio(std::string_view text, Blkio& out) {
  out.entries.clear();
  out.errors.clear();
  out.total.reset();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, a, b, c, more;
    if (!parse::next_field(rest, a)) continue;
    if (a == "Total") {
      std::optional<double> v;
      if (parse::next_field(rest, b) && !parse::next_field(rest, more)) v = parse::to_double(b);
      if (!v) {
        out.errors.add(n, "invalid Total", line);
        continue;
      }
      out.total = *v;
      continue;
    }
    if (!parse::next_field(rest, b) || !parse::next_field(rest, c) ||
        parse::next_field(rest, more) || a.find(':') == std::string_view::npos) {
      out.errors.add(n, "expected \"MAJ:MIN OP VALUE\"", line);
      continue;
    }
    auto v = parse::to_double(c);
    if (!v) {
      out.errors.add(n, "invalid value", line);
      continue;
    }
    out.entries.push_back({a, b, *v});
  }
}

Procs parse_procs(std::string_view text) {
  Procs p;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    line = parse::trim(line);
    if (line.empty()) continue;
    auto v = parse::to_u64(line);
    if (!v || *v > 0x7fffffff) {
      p.errors.add(n, "invalid pid", line);
      continue;
    }
    if (!p.first_pid) p.first_pid = static_cast<int>(*v);
    ++p.count;
  }
  return p;
}

}  // namespace vitals::cgroup
