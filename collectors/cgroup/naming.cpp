#include "collectors/cgroup/naming.h"

#include <array>

namespace vitals::cgroup {
namespace {

bool is_hex_id(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "<prefix><id>.scope" -> id
bool scoped_id(std::string_view comp, std::string_view prefix, std::string_view* id) {
  if (!starts_with(comp, prefix) || !ends_with(comp, ".scope")) return false;
  std::string_view x = comp.substr(prefix.size(), comp.size() - prefix.size() - 6);
  if (!is_hex_id(x)) return false;
  *id = x;
  return true;
}

}  // namespace

std::string derive_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view parent =
      slash == std::string_view::npos || slash == 0 ? std::string_view{} : path.substr(0, slash);
  // podman with cgroup v2 puts the payload in a "container" child of the libpod scope.
  if (last == "container" && !parent.empty()) {
    size_t ps = parent.rfind('/');
    std::string_view pl = ps == std::string_view::npos ? parent : parent.substr(ps + 1);
    std::string_view id;
    if (scoped_id(pl, "libpod-", &id)) return std::string(id);
  }
  std::string_view id;
  for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-"}) {
    if (scoped_id(last, prefix, &id)) return std::string(id);
  }
  if (is_hex_id(last)) {
    std::string_view pl =
        parent.substr(parent.rfind('/') == std::string_view::npos ? 0 : parent.rfind('/') + 1);
    if (pl == "docker" || starts_with(pl, "pod") || parent.find("/kubepods") == 0 ||
        parent.find("/system.slice/containerd") == 0) {
      return std::string(last);
    }
  }
  static constexpr std::array<std::string_view, 6> kUnitSuffixes = {".service", ".scope", ".slice",
                                                                    ".socket",  ".mount", ".swap"};
  for (std::string_view suffix : kUnitSuffixes) {
    if (last.size() > suffix.size() && ends_with(last, suffix)) return std::string(last);
  }
  return {};
}

}  // namespace vitals::cgroup
