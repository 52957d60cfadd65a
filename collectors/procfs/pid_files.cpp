#include "collectors/procfs/pid_files.h"

#include <limits>

#include "core/parse.h"

namespace vitals::procfs {

std::optional<PidStat> parse_pid_stat(std::string_view text, std::string* error) {
  size_t lp = text.find('(');
  size_t rp = text.rfind(')');
  if (lp == std::string_view::npos || rp == std::string_view::npos || rp < lp) {
    if (error) *error = "no (comm) field";
    return std::nullopt;
  }
  PidStat s;
  s.comm = text.substr(lp + 1, rp - lp - 1);
  std::string_view rest = text.substr(rp + 1), f;
  int idx = 3;
  while (idx <= 24 && parse::next_field(rest, f)) {
    if (idx == 3) {
      if (f.size() != 1) {
        if (error) *error = "invalid state \"" + std::string(f) + "\"";
        return std::nullopt;
      }
      s.state = f[0];
      ++idx;
      continue;
    }
    double* target = nullptr;
    switch (idx) {
      case 4:
        target = &s.ppid;
        break;
      case 10:
        target = &s.minflt;
        break;
      case 12:
        target = &s.majflt;
        break;
      case 14:
        target = &s.utime;
        break;
      case 15:
        target = &s.stime;
        break;
      case 20:
        target = &s.num_threads;
        break;
      case 22:
        target = &s.starttime;
        break;
      case 23:
        target = &s.vsize;
        break;
      case 24:
        target = &s.rss;
        break;
      default:
        break;
    }
    if (target) {
      auto v = parse::to_double(f);
      if (!v) {
        if (error)
          *error = "field " + std::to_string(idx) + ": invalid number \"" + std::string(f) + "\"";
        return std::nullopt;
      }
      *target = *v;
    }
    ++idx;
  }
  if (idx <= 24) {
    if (error) *error = "expected at least 24 fields, got " + std::to_string(idx - 1);
    return std::nullopt;
  }
  return s;
}

std::optional<PidStat> parse_pid_stat(std::string_view text, parse::ParseErrors& errors) {
  std::string why;
  auto s = parse_pid_stat(text, &why);
  if (!s) errors.add(1, why, parse::trim(text));
  return s;
}

namespace {

// "Key:\tVALUE [kB]" -> VALUE (times 1024 when kB).
std::optional<double> status_value(std::string_view rest) {
  std::string_view num, unit;
  if (!parse::next_field(rest, num)) return std::nullopt;
  auto v = parse::to_double(num);
  if (!v) return std::nullopt;
  if (parse::next_field(rest, unit) && unit == "kB") return *v * 1024;
  return v;
}

}  // namespace

PidStatus parse_pid_status(std::string_view text) {
  PidStatus s;
  std::string_view line;
  while (parse::next_line(text, line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), rest = line.substr(colon + 1);
    if (key == "VmSwap") {
      s.vm_swap_bytes = status_value(rest);
    } else if (key == "voluntary_ctxt_switches") {
      s.voluntary_ctxt_switches = status_value(rest);
    } else if (key == "nonvoluntary_ctxt_switches") {
      s.nonvoluntary_ctxt_switches = status_value(rest);
    }
  }
  return s;
}

PidIo parse_pid_io(std::string_view text) {
  PidIo io;
  std::string_view line;
  while (parse::next_line(text, line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), rest = line.substr(colon + 1), num;
    if (!parse::next_field(rest, num)) continue;
    if (key == "read_bytes") {
      io.read_bytes = parse::to_double(num);
    } else if (key == "write_bytes") {
      io.write_bytes = parse::to_double(num);
    }
  }
  return io;
}

std::optional<double> parse_max_open_files(std::string_view text) {
  constexpr std::string_view kKey = "Max open files";
  std::string_view line;
  while (parse::next_line(text, line)) {
    if (line.substr(0, kKey.size()) != kKey) continue;
    std::string_view rest = line.substr(kKey.size()), soft;
    if (!parse::next_field(rest, soft)) return std::nullopt;
    if (soft == "unlimited") return std::numeric_limits<double>::infinity();
    return parse::to_double(soft);
  }
  return std::nullopt;
}

}  // namespace vitals::procfs
