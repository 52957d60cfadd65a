#include "collectors/cgroup/naming.h"

#include <array>
#include <vector>

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

// A pod UID as it appears in a cgroup name: hex digits and '-' (or '_' under systemd, which
// reserves '-' for nesting). Static pods' UIDs are 32 hex digits, API pods' 36-character UUIDs.
bool pod_uid(std::string_view s, char dash, std::string* out) {
  if (s.empty() || s.size() > 64) return false;
  out->clear();
  for (char c : s) {
    if (c == dash) {
      out->push_back('-');
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      out->push_back(c);
    } else {
      return false;
    }
  }
  return true;
}

std::string_view qos_name(std::string_view q) {
  if (q == "burstable") return "burstable";
  if (q == "besteffort") return "besteffort";
  return {};
}

}  // namespace

std::optional<KubeCgroup> parse_kube_cgroup(std::string_view path) {
  std::vector<std::string_view> comps;
  for (size_t pos = 0; pos < path.size();) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) comps.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  // The kubepods root: "kubepods" (cgroupfs) or "kubepods.slice" / "<prefix>-kubepods.slice".
  size_t root = comps.size();
  bool systemd = false;
  for (size_t i = 0; i < comps.size(); ++i) {
    if (comps[i] == "kubepods") {
      root = i;
      break;
    }
    if (comps[i] == "kubepods.slice" || ends_with(comps[i], "-kubepods.slice")) {
      root = i;
      systemd = true;
      break;
    }
  }
  if (root == comps.size()) return std::nullopt;
  KubeCgroup k;
  k.qos = "guaranteed";
  size_t i = root + 1;
  std::string_view slice_prefix;  // "kubepods" or "<prefix>-kubepods", the root slice's name
  if (systemd) slice_prefix = comps[root].substr(0, comps[root].size() - 6);
  // The QoS level, if any.
  if (i < comps.size()) {
    if (!systemd && !qos_name(comps[i]).empty()) {
      k.qos = qos_name(comps[i]);
      ++i;
    } else if (systemd && starts_with(comps[i], std::string(slice_prefix) + "-") &&
               ends_with(comps[i], ".slice")) {
      std::string_view q =
          comps[i].substr(slice_prefix.size() + 1, comps[i].size() - slice_prefix.size() - 7);
      if (!qos_name(q).empty()) {
        k.qos = qos_name(q);
        slice_prefix = comps[i].substr(0, comps[i].size() - 6);
        ++i;
      }
    }
  }
  // The pod.
  if (i >= comps.size()) return std::nullopt;
  std::string_view pod = comps[i];
  if (systemd) {
    std::string want = std::string(slice_prefix) + "-pod";
    if (!starts_with(pod, want) || !ends_with(pod, ".slice")) return std::nullopt;
    if (!pod_uid(pod.substr(want.size(), pod.size() - want.size() - 6), '_', &k.pod_uid)) {
      return std::nullopt;
    }
  } else {
    if (!starts_with(pod, "pod") || !pod_uid(pod.substr(3), '-', &k.pod_uid)) return std::nullopt;
  }
  ++i;
  if (i == comps.size()) return k;  // the pod's own cgroup
  if (i + 1 != comps.size()) return std::nullopt;
  // The container.
  std::string_view c = comps[i];
  std::string_view id;
  if (scoped_id(c, "cri-containerd-", &id)) {
    k.runtime = "containerd";
  } else if (scoped_id(c, "crio-", &id)) {
    k.runtime = "cri-o";
  } else if (scoped_id(c, "docker-", &id)) {
    k.runtime = "docker";
  } else if (!systemd && starts_with(c, "crio-") && is_hex_id(c.substr(5))) {
    id = c.substr(5);
    k.runtime = "cri-o";
  } else if (!systemd && is_hex_id(c)) {
    id = c;
  } else {
    return std::nullopt;
  }
  k.container_id = std::string(id);
  return k;
}

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
