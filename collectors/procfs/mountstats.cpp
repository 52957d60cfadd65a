#include "collectors/procfs/mountstats.h"

#include <string>

namespace vitals::procfs {
namespace {

// Fills `out` from the fields of `s` (all must be decimal); returns how many there were, or
// -1 when one is not a number. Fields past out.size() are counted but not stored.
template <size_t N>
int numbers(std::string_view s, std::array<uint64_t, N>& out) {
  int n = 0;
  std::string_view f;
  while (parse::next_field(s, f)) {
    auto v = parse::to_u64(f);
    if (!v) return -1;
    if (static_cast<size_t>(n) < N) out[static_cast<size_t>(n)] = *v;
    ++n;
  }
  return n;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

void parse_mountstats(std::string_view text, Mountstats& out) {
  out.nfs.clear();
  out.operations.clear();
  out.devices = 0;
  out.errors.clear();
  std::string_view rest = text, line;
  int n = 0;
  // Whether an NFS mount's block is being read, whether its lines were good so far, and
  // whether its per-op section has begun.
  bool in_mount = false, good = false, in_ops = false;
  auto finish = [&] {
    if (in_mount && !good) {
      out.operations.resize(out.nfs.back().op_begin);
      out.nfs.pop_back();
    }
    in_mount = in_ops = false;
  };
  auto bad = [&](std::string_view what) {
    out.errors.add(n, std::string(what), line);
    good = false;
  };
  while (parse::next_line(rest, line)) {
    ++n;
    std::string_view fields = line, first;
    if (!parse::next_field(fields, first)) {  // a blank line ends a mount's block
      finish();
      continue;
    }
    if (first == "device") {
      finish();
      // "device D mounted on M with fstype T [statvers=V]"
      std::array<std::string_view, 9> f;
      f[0] = first;
      size_t count = 1;
      std::string_view x, cursor = fields;
      while (count < f.size() && parse::next_field(cursor, x)) f[count++] = x;
      if (count < 8 || f[2] != "mounted" || f[3] != "on" || f[5] != "with" || f[6] != "fstype") {
        out.errors.add(n, "invalid device line", line);
        ++out.devices;
        continue;
      }
      size_t index = out.devices++;
      if (count < 9) continue;  // no statistics
      if (f[7] != "nfs" && f[7] != "nfs4") continue;
      NfsMount m;
      m.index = index;
      m.device = f[1];
      m.mount_point = f[4];
      m.fstype = f[7];
      m.stat_version = starts_with(f[8], "statvers=") ? f[8].substr(9) : f[8];
      m.op_begin = static_cast<uint32_t>(out.operations.size());
      out.nfs.push_back(m);
      in_mount = good = true;
      continue;
    }
    if (!in_mount) continue;
    NfsMount& m = out.nfs.back();
    if (in_ops) {
      // "READ: 1298 1298 0 207680 1210292152 6 79386 79407 [errors]"
      NfsOperation op;
      op.name = first.back() == ':' ? first.substr(0, first.size() - 1) : first;
      int c = numbers(fields, op.v);
      if (c < 8) {
        bad("invalid per-op statistics");
        continue;
      }
      out.operations.push_back(op);
      ++m.op_count;
      continue;
    }
    if (first == "age:") {
      std::string_view v;
      auto age = parse::next_field(fields, v) ? parse::to_double(v) : std::nullopt;
      if (!age) {
        bad("invalid age");
      } else {
        m.age_seconds = *age;
      }
    } else if (first == "bytes:") {
      if (numbers(fields, m.bytes) < 8) bad("expected 8 byte counters");
    } else if (first == "events:") {
      if (numbers(fields, m.events) < 27) bad("expected 27 event counters");
    } else if (first == "xprt:") {
      std::string_view proto;
      parse::next_field(fields, proto);
      m.protocol = proto;
      std::array<uint64_t, 32> v{};
      int c = numbers(fields, v);
      bool v10 = m.stat_version == "1.0";
      int want = proto == "tcp"            ? (v10 ? 10 : 13)
                 : proto == "udp"          ? (v10 ? 7 : 10)
                 : proto == "rdma" && !v10 ? 20
                                           : -1;
      if (want < 0) {
        bad("unknown transport \"" + std::string(proto) + "\" for stats version " +
            std::string(m.stat_version));
      } else if (c < want) {
        bad("expected " + std::to_string(want) + " transport values, got " + std::to_string(c));
      } else if (proto == "udp") {
        // No connect count, connect idle time and idle time.
        m.transport = {v[0], v[1], 0, 0, 0, v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
      } else if (proto == "tcp") {
        for (size_t i = 0; i < 13; ++i) m.transport[i] = v[i];
      } else {  // rdma: the ten common values, then its own
        for (size_t i = 0; i < 10; ++i) m.transport[i] = v[i];
      }
    } else if (first == "per-op") {
      in_ops = true;
    }
  }
  finish();
}

void parse_mountinfo_addrs(std::string_view text, std::vector<std::string_view>& out,
                           parse::ParseErrors& errors) {
  out.clear();
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view addr;
    if (line.find(" - ") == std::string_view::npos) {
      errors.add(n, "no \" - \" separator", line);
    } else {
      std::string_view t = parse::trim(line);
      size_t sp = t.find_last_of(" \t");
      std::string_view opts = t.substr(sp + 1);
      while (!opts.empty()) {
        size_t comma = opts.find(',');
        std::string_view o = opts.substr(0, comma);
        if (starts_with(o, "addr=")) addr = o.substr(5);
        if (comma == std::string_view::npos) break;
        opts.remove_prefix(comma + 1);
      }
    }
    out.push_back(addr);
  }
}

}  // namespace vitals::procfs
