#include "collectors/procfs/mounts.h"

#include "core/parse.h"

namespace vitals::procfs {
namespace {

// The mount point with the kernel's octal escapes of space (\040) and tab (\011) decoded, by
// copying (an in-place std::string::replace trips GCC 12's -Wrestrict false positive).
std::string unescape_mount_point(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    std::string_view at = s.substr(i, 4);
    if (at == "\\040" || at == "\\011") {
      out.push_back(at == "\\040" ? ' ' : '\t');
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Mounts parse_mounts(std::string_view text) {
  Mounts r;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f[4];
    int got = 0;
    while (got < 4 && parse::next_field(rest, f[got])) ++got;
    if (got < 4) {
      r.errors.add(n, "malformed mount point information", line);
      continue;
    }
    Mount m{std::string(f[0]), unescape_mount_point(f[1]), std::string(f[2]), std::string(f[3])};
    r.mounts.push_back(std::move(m));
  }
  return r;
}

bool mount_read_only(std::string_view options) {
  while (!options.empty()) {
    size_t c = options.find(',');
    std::string_view o = options.substr(0, c);
    if (o == "ro") return true;
    if (c == std::string_view::npos) break;
    options.remove_prefix(c + 1);
  }
  return false;
}

std::string strip_rootfs(std::string_view mount_point, std::string_view rootfs) {
  if (rootfs == "/") return std::string(mount_point);
  if (mount_point.substr(0, rootfs.size()) == rootfs) mount_point.remove_prefix(rootfs.size());
  if (mount_point.empty()) return "/";
  return std::string(mount_point);
}

}  // namespace vitals::procfs
