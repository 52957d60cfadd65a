// The `name` label of a cgroup, derived from its path alone (no container runtime API).
#pragma once

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

}  // namespace vitals::cgroup
