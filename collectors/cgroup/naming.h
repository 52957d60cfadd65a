// The `name` label of a cgroup, derived from its path alone (no container runtime API).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vitals::cgroup {

// Returns the container id for container runtimes' cgroups and the unit name for systemd
// units; empty for other cgroups (cAdvisor gives those no name either):
//   /docker/<id>, .../docker-<id>.scope                 -> <id>     (Docker)
//   .../cri-containerd-<id>.scope, .../crio-<id>.scope  -> <id>     (containerd, CRI-O)
//   /kubepods[/<qos>]/pod<uid>/<id>                     -> <id>     (kubelet cgroupfs driver)
//   .../libpod-<id>.scope[/container]                   -> <id>     (podman)
//   .../<unit>.service|.scope|.slice|.socket|.mount|.swap -> <unit> (systemd)
// <id> is 64 hex digits for the container runtimes.
std::string derive_name(std::string_view path);

// What a Kubernetes pod's or container's cgroup path says about it, without the runtime.
struct KubeCgroup {
  std::string pod_uid;       // as the API server spells it: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
  std::string container_id;  // 64 hex digits; empty for the pod's own cgroup
  std::string_view qos;      // "guaranteed", "burstable" or "besteffort"
  // "containerd", "cri-o", "docker" from the scope's prefix; "" when the layout does not say
  // (the cgroupfs driver names a container's cgroup by its bare id).
  std::string_view runtime;
  bool operator==(const KubeCgroup&) const = default;
};

// Parses the kubelet's layouts of pod and container cgroups, under any prefix (kind and other
// nested kubelets put theirs under /kubelet.slice/kubelet-kubepods.slice or /kubelet/kubepods):
//   systemd driver: .../kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid>.slice
//                   [/cri-containerd-<id>.scope | /crio-<id>.scope | /docker-<id>.scope]
//                   (the uid's "-" are "_" in the slice name)
//   cgroupfs driver: .../kubepods[/<qos>]/pod<uid>[/<id> | /crio-<id>]
// Guaranteed pods have no QoS level. The pod's sandbox (pause) container is a container like the
// others here; only the runtime can tell them apart. Anything else, deeper cgroups inside a
// container and CRI-O's conmon scopes included, gives nullopt.
std::optional<KubeCgroup> parse_kube_cgroup(std::string_view path);

}  // namespace vitals::cgroup
