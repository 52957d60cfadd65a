// cgroup name derivation and the /proc/<pid> file parsers.
#include <gtest/gtest.h>

#include <cmath>

#include "collectors/cgroup/naming.h"
#include "collectors/procfs/pid_files.h"

namespace vitals {
namespace {

const std::string kId(64, 'a');

TEST(DeriveName, Table) {
  struct Case {
    std::string path, want;
  } cases[] = {
      {"/", ""},
      {"/docker/" + kId, kId},
      {"/system.slice/docker-" + kId + ".scope", kId},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx.slice/cri-containerd-" +
           kId + ".scope",
       kId},
      {"/kubepods.slice/kubepods-pody.slice/crio-" + kId + ".scope", kId},
      {"/kubepods/burstable/pod0f1e2d3c-4b5a/" + kId, kId},
      {"/machine.slice/libpod-" + kId + ".scope", kId},
      {"/machine.slice/libpod-" + kId + ".scope/container", kId},
      {"/system.slice/ssh.service", "ssh.service"},
      {"/user.slice/user-1000.slice/session-3.scope", "session-3.scope"},
      {"/system.slice", "system.slice"},
      {"/system.slice/docker-abc.scope", "docker-abc.scope"},  // not a 64-hex id: a unit
      {"/process_api/b01046af", ""},
      {"/docker", ""},
      {"/machine.slice/libpod-" + kId + ".scope/other", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(cgroup::derive_name(c.path), c.want) << c.path;
}

// Every kubelet layout, in both cgroup drivers, with each QoS class and runtime.
TEST(ParseKubeCgroup, Table) {
  const std::string uid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  const std::string uid_ = "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0";
  const std::string stat = "3c1f5b0e7d9a2c4e6f8a0b1c2d3e4f50";  // a static pod's UID (a hash)
  const std::string pause(64, 'e');
  using K = cgroup::KubeCgroup;
  struct Case {
    std::string path;
    std::optional<K> want;
  } cases[] = {
      // systemd driver
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/cri-containerd-" + kId + ".scope",
       K{uid, kId, "burstable", "containerd"}},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid_ + ".slice/crio-" +
           kId + ".scope",
       K{uid, kId, "besteffort", "cri-o"}},
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice/docker-" + kId + ".scope",
       K{uid, kId, "guaranteed", "docker"}},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ + ".slice",
       K{uid, "", "burstable", ""}},
      {"/kubepods.slice/kubepods-pod" + stat + ".slice", K{stat, "", "guaranteed", ""}},
      // The sandbox (pause) container: one more container of the pod.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/cri-containerd-" + pause + ".scope",
       K{uid, pause, "burstable", "containerd"}},
      // kind and other kubelets with a --cgroup-root
      {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
       "kubelet-kubepods-besteffort-pod" +
           uid_ + ".slice/cri-containerd-" + kId + ".scope",
       K{uid, kId, "besteffort", "containerd"}},
      // cgroupfs driver
      {"/kubepods/burstable/pod" + uid + "/" + kId, K{uid, kId, "burstable", ""}},
      {"/kubepods/besteffort/pod" + uid + "/crio-" + kId, K{uid, kId, "besteffort", "cri-o"}},
      {"/kubepods/pod" + uid + "/" + kId, K{uid, kId, "guaranteed", ""}},
      {"/kubepods/pod" + uid, K{uid, "", "guaranteed", ""}},
      {"/kubelet/kubepods/burstable/pod" + stat + "/" + pause, K{stat, pause, "burstable", ""}},
      // Not a pod or container cgroup of the kubelet's
      {"/kubepods", std::nullopt},
      {"/kubepods.slice", std::nullopt},
      {"/kubepods.slice/kubepods-burstable.slice", std::nullopt},
      {"/kubepods/burstable", std::nullopt},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/crio-conmon-" + kId + ".scope",
       std::nullopt},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uid_ +
           ".slice/cri-containerd-" + kId + ".scope/init",
       std::nullopt},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podXYZ.slice", std::nullopt},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" + uid_ + ".slice",
       std::nullopt},
      {"/kubepods/burstable/pod" + uid + "/abc", std::nullopt},
      {"/kubepods/burstable/pod" + uid_ + "/" + kId, std::nullopt},  // '_' only under systemd
      {"/kubepods.slice/kubepods-pod" + uid_ + ".slice/" + kId, std::nullopt},
      {"/system.slice/docker-" + kId + ".scope", std::nullopt},
      {"/docker/" + kId, std::nullopt},
      {"/", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    auto got = cgroup::parse_kube_cgroup(c.path);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.path;
    if (!got) continue;
    EXPECT_EQ(got->pod_uid, c.want->pod_uid) << c.path;
    EXPECT_EQ(got->container_id, c.want->container_id) << c.path;
    EXPECT_EQ(got->qos, c.want->qos) << c.path;
    EXPECT_EQ(got->runtime, c.want->runtime) << c.path;
  }
}

TEST(PidStat, ParsesCommWithSpacesAndParens) {
  std::string err;
  auto s = procfs::parse_pid_stat(
      "4242 (my (weird) proc) S 1 4242 4242 0 -1 4194560 1500 0 7 0 250 130 0 0 20 0 3 0 "
      "123456 10485760 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
      &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->comm, "my (weird) proc");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->minflt, 1500);
  EXPECT_EQ(s->majflt, 7);
  EXPECT_EQ(s->utime, 250);
  EXPECT_EQ(s->stime, 130);
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->starttime, 123456);
  EXPECT_EQ(s->vsize, 10485760);
  EXPECT_EQ(s->rss, 512);
}

TEST(PidStat, Malformed) {
  struct Case {
    const char* text;
    const char* error_part;
  } cases[] = {
      {"", "no (comm)"},
      {"1 (x) S 1 2 3", "expected at least 24 fields, got 6"},
      {"1 (x) SS 1", "invalid state"},
      {"1 (x) S 1 2 3 4 5 6 x 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23", "field 10"},
  };
  for (const auto& c : cases) {
    std::string err;
    EXPECT_FALSE(procfs::parse_pid_stat(c.text, &err)) << c.text;
    EXPECT_NE(err.find(c.error_part), std::string::npos) << c.text << " -> " << err;
  }
}

TEST(PidStatus, FieldsAndAbsence) {
  auto s = procfs::parse_pid_status(
      "Name:\tbash\nVmRSS:\t    4000 kB\nVmSwap:\t      12 kB\nThreads:\t1\n"
      "voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t0\n");
  EXPECT_EQ(s.vm_swap_bytes, 12 * 1024.0);
  EXPECT_EQ(s.voluntary_ctxt_switches, 150);
  EXPECT_EQ(s.nonvoluntary_ctxt_switches, 0);  // zero, not absent
  auto k = procfs::parse_pid_status("Name:\tkthreadd\nvoluntary_ctxt_switches:\t5\n");
  EXPECT_FALSE(k.vm_swap_bytes);
  EXPECT_FALSE(k.nonvoluntary_ctxt_switches);
}

TEST(PidIo, Fields) {
  auto io = procfs::parse_pid_io(
      "rchar: 100\nwchar: 200\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 0\n"
      "cancelled_write_bytes: 0\n");
  EXPECT_EQ(io.read_bytes, 4096);
  EXPECT_EQ(io.write_bytes, 0);
  EXPECT_FALSE(procfs::parse_pid_io("rchar: 1\n").read_bytes);
}

TEST(PidLimits, MaxOpenFiles) {
  const char* text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(procfs::parse_max_open_files(text), 1024);
  auto inf =
      procfs::parse_max_open_files("Max open files            unlimited   unlimited  files\n");
  ASSERT_TRUE(inf);
  EXPECT_TRUE(std::isinf(*inf));
  EXPECT_FALSE(procfs::parse_max_open_files("Max processes 10 10 processes\n"));
  EXPECT_FALSE(procfs::parse_max_open_files("Max open files   many  many files\n"));
}

}  // namespace
}  // namespace vitals
