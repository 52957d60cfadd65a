#include "collectors/procfs/mounts.h"

#include "core/parse.h"

namespace vitals::procfs {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  // Copies into a new string rather than calling std::string::replace in place: shorter, and
  // GCC 12 at -O3 warns (-Wrestrict) about the in-place replace's memcpy.
  if (s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  std::string_view in = s;
  for (size_t p; (p = in.find(from)) != std::string_view::npos; in.remove_prefix(p + from.size())) {
    out.append(in.substr(0, p)).append(to);
  }
  out.append(in);
  s = std::move(out);
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
      r.errors.push_back("line " + std::to_string(n) + ": malformed mount point information \"" +
                         std::string(line.substr(0, 100)) + "\"");
      continue;
    }
    Mount m{std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])};
    replace_all(m.mount_point, "\\040", " ");
    replace_all(m.mount_point, "\\011", "\t");
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
