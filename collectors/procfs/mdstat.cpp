#include "collectors/procfs/mdstat.h"

#include <algorithm>

#include "core/parse.h"

namespace vitals::procfs {
namespace {

size_t count(std::string_view s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string_view::npos; p = s.find(what, p + what.size())) {
    ++n;
  }
  return n;
}

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

// "<size> blocks ... [total/active] [UU_]" -> total, active. Returns false when absent.
bool status_counts(std::string_view line, int64_t* total, int64_t* active) {
  // The last "[digits/digits]" followed by " [U_...]".
  size_t pos = line.find(" blocks ");
  if (pos == std::string_view::npos) return false;
  for (size_t open = line.find('[', pos); open != std::string_view::npos;
       open = line.find('[', open + 1)) {
    size_t slash = line.find('/', open);
    size_t close = line.find(']', open);
    if (slash == std::string_view::npos || close == std::string_view::npos || slash > close) {
      continue;
    }
    auto t = parse::to_u64(line.substr(open + 1, slash - open - 1));
    auto a = parse::to_u64(line.substr(slash + 1, close - slash - 1));
    if (!t || !a) continue;
    std::string_view after = line.substr(close + 1);
    if (after.size() < 3 || after[0] != ' ' || after[1] != '[') continue;
    size_t end = after.find(']', 2);
    if (end == std::string_view::npos || end == 2) continue;
    std::string_view us = after.substr(2, end - 2);
    if (!std::all_of(us.begin(), us.end(), [](char c) { return c == 'U' || c == '_'; })) continue;
    *total = static_cast<int64_t>(*t);
    *active = static_cast<int64_t>(*a);
    return true;
  }
  return false;
}

}  // namespace

Mdstat parse_mdstat(std::string_view text) {
  Mdstat r;
  std::vector<std::string_view> lines;
  std::string_view line;
  std::string_view rest = text;
  while (parse::next_line(rest, line)) lines.push_back(line);
  if (!text.empty() && text.back() == '\n') lines.push_back({});  // as strings.Split does
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (parse::trim(l).empty() || l.front() == ' ' || l.front() == '\t' ||
        l.substr(0, 13) == "Personalities" || l.substr(0, 6) == "unused") {
      continue;
    }
    const int n = static_cast<int>(i + 1);
    // Fields split on spaces and ':' ("md0 : active raid1 ...").
    std::vector<std::string_view> fields;
    size_t p = 0;
    while (p < l.size()) {
      while (p < l.size() && (l[p] == ' ' || l[p] == ':' || l[p] == '\t')) ++p;
      size_t q = p;
      while (q < l.size() && l[q] != ' ' && l[q] != ':' && l[q] != '\t') ++q;
      if (q > p) fields.push_back(l.substr(p, q - p));
      p = q;
    }
    if (fields.size() < 3) {
      r.errors.add(n, "expected at least 3 fields on an md device line", l);
      continue;
    }
    if (i + 3 >= lines.size()) {
      r.errors.add(n, "too few lines for md device " + std::string(fields[0]), l);
      continue;
    }
    MdStat m;
    m.name.assign(fields[0]);
    m.activity_state.assign(fields[1]);
    m.disks_failed = static_cast<int64_t>(count(l, "(F)"));
    m.disks_spare = static_cast<int64_t>(count(l, "(S)"));
    std::string_view status = lines[i + 1];
    std::string_view size_field;
    std::string_view sr = status;
    if (!parse::next_field(sr, size_field)) {
      r.errors.add(n, "missing status line for " + m.name, l);
      continue;
    }
    auto size = parse::to_u64(size_field);
    if (!size) {
      r.errors.add(n, "invalid block count \"" + std::string(size_field) + "\" for " + m.name, l);
      continue;
    }
    m.blocks_total = static_cast<int64_t>(*size);
    if (contains(l, "raid0") || contains(l, "linear")) {
      m.disks_total = m.disks_active = static_cast<int64_t>(count(l, "["));
    } else if (contains(l, "inactive")) {
      m.disks_total = m.disks_active = 0;
    } else if (!status_counts(status, &m.disks_total, &m.disks_active)) {
      r.errors.add(n, "no [total/active] [U_] status for " + m.name, l);
      continue;
    }
    size_t sync_idx = i + 2;
    if (contains(lines[i + 2], "bitmap")) ++sync_idx;
    std::string_view sync = sync_idx < lines.size() ? lines[sync_idx] : std::string_view();
    m.blocks_synced = m.blocks_total;
    bool recovering = contains(sync, "recovery");
    bool resyncing = contains(sync, "resync");
    bool checking = contains(sync, "check");
    if (recovering || resyncing || checking) {
      m.activity_state = recovering ? "recovering" : checking ? "checking" : "resyncing";
      if (contains(sync, "PENDING") || contains(sync, "DELAYED")) {
        m.blocks_synced = 0;
      } else {
        // "... (synced/total) ..."
        size_t open = sync.find('(');
        size_t slash = open == std::string_view::npos ? open : sync.find('/', open);
        auto synced = slash == std::string_view::npos
                          ? std::nullopt
                          : parse::to_u64(sync.substr(open + 1, slash - open - 1));
        if (!synced) {
          r.errors.add(
              n, "invalid sync line \"" + std::string(sync.substr(0, 100)) + "\" for " + m.name, l);
          continue;
        }
        m.blocks_synced = static_cast<int64_t>(*synced);
      }
    }
    r.devices.push_back(std::move(m));
  }
  return r;
}

}  // namespace vitals::procfs
