"""containers: the container, pod, namespace and image labels from a container runtime over CRI
(a stand-in runtime.v1.RuntimeService served by python3-grpcio on a UNIX socket, its code
generated from proto/cri_api.proto at test time), and Docker's name and image from a stand-in
Docker Engine API (http.server on a UNIX socket), joined to cgroup trees with the kubelet's
systemd/containerd, systemd/CRI-O and cgroupfs layouts and a Docker scope. A runtime that hangs
or is absent leaves the labels empty, counts the failure, and scrapes still answer; a container
that appears later gets its labels after a refresh."""

import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import unittest
from concurrent import futures

from vitals_testlib import Agent, parse_exposition, require, wait_until

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")

UID1 = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
UID2 = "3c1f5b0e7d9a2c4e6f8a0b1c2d3e4f50"  # a static pod's UID
UID3 = "11111111-2222-3333-4444-555555555555"
C1, C2, C3, C4 = "c1" * 32, "c2" * 32, "c3" * 32, "c4" * 32
S1, S2, S3 = "a1" * 32, "a2" * 32, "a3" * 32
D1 = "d1" * 32

POD1 = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID1.replace('-', '_')}.slice"
POD2 = f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID2}.slice"
POD3 = f"/kubepods/burstable/pod{UID3}"
PATHS = {
    "c1": f"{POD1}/cri-containerd-{C1}.scope",  # systemd driver, containerd
    "s1": f"{POD1}/cri-containerd-{S1}.scope",  # the pod's sandbox (pause) container
    "c2": f"{POD2}/crio-{C2}.scope",  # systemd driver, CRI-O
    "c3": f"{POD3}/{C3}",  # cgroupfs driver
    "d1": f"/system.slice/docker-{D1}.scope",  # Docker outside Kubernetes
    "ssh": "/system.slice/ssh.service",
}
NGINX = "docker.io/library/nginx:1.25"
NGINX_REF = "sha256:" + "ab" * 32


def load_cri():
    """The generated CRI messages and service, or a skip (a failure in CI) without grpcio."""
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        require(False, "python3-grpcio / python3-grpc-tools missing (`scripts/dev test` installs them)")
    out = tempfile.mkdtemp(prefix="vitals-cri-gen-")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO}", f"--python_out={out}",
                    f"--grpc_python_out={out}", os.path.join(PROTO, "cri_api.proto")], check=True)
    sys.path.insert(0, out)
    import cri_api_pb2
    import cri_api_pb2_grpc
    return out, cri_api_pb2, cri_api_pb2_grpc


class StandInCri:
    """runtime.v1.RuntimeService on a UNIX socket with settable sandboxes and containers; with
    hang set, each call waits (until released) without answering."""

    def __init__(self, pb, pbg, path):
        import grpc
        self.pb, self.calls, self.hang = pb, 0, False
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.sandboxes, self.containers = [], []
        outer = self

        class Servicer(pbg.RuntimeServiceServicer):
            def ListPodSandbox(self, request, context):
                outer.enter()
                with outer.lock:
                    return pb.ListPodSandboxResponse(items=list(outer.sandboxes))

            def ListContainers(self, request, context):
                outer.enter()
                with outer.lock:
                    return pb.ListContainersResponse(containers=list(outer.containers))

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pbg.add_RuntimeServiceServicer_to_server(Servicer(), self.server)
        self.server.add_insecure_port(f"unix:{path}")
        self.server.start()

    def enter(self):
        with self.lock:
            self.calls += 1
        if self.hang:
            self.release.wait(30)

    def sandbox(self, sid, name, uid, ns):
        with self.lock:
            self.sandboxes.append(self.pb.PodSandbox(
                id=sid, metadata=self.pb.PodSandboxMetadata(name=name, uid=uid, namespace=ns, attempt=0),
                labels={"io.kubernetes.pod.name": name}))

    def container(self, cid, sid, name, image="", image_ref=""):
        with self.lock:
            self.containers.append(self.pb.Container(
                id=cid, pod_sandbox_id=sid, metadata=self.pb.ContainerMetadata(name=name, attempt=1),
                image=self.pb.ImageSpec(image=image), image_ref=image_ref,
                labels={"io.kubernetes.container.name": name}))

    def stop(self):
        self.release.set()
        self.server.stop(0)


class UnixHTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_UNIX
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no host name lookup for a path
        self.server_name, self.server_port = "localhost", 0


class StandInDocker:
    """GET /containers/json?all=1 of the Docker Engine API on a UNIX socket."""

    def __init__(self, path, containers):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = json.dumps(containers).encode() if self.path == "/containers/json?all=1" else b"{}"
                self.send_response(200 if self.path == "/containers/json?all=1" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = UnixHTTPServer(path, Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_cgroup(root, path):
    parts = path.strip("/").split("/")
    for i in range(len(parts) + 1):
        d = os.path.join(root, "sys/fs/cgroup", *parts[:i])
        os.makedirs(d, exist_ok=True)
        for name, text in (("cgroup.controllers", "cpu memory pids"), ("cpu.stat", "usage_usec 2000000")):
            with open(os.path.join(d, name), "w") as f:
                f.write(text + "\n")


def series(text):
    """id -> labels of container_cpu_usage_seconds_total, and the whole parsed exposition."""
    fams = parse_exposition(text)
    fam = fams.get("container_cpu_usage_seconds_total")
    by_id = {dict(k[1])["id"]: dict(k[1]) for k in fam.samples} if fam else {}
    return by_id, fams


def sample(fams, name, **labels):
    fam = fams.get(name)
    return fam.samples.get((name, frozenset(labels.items()))) if fam else None


def want(path, name="", container="", pod="", ns="", image="", pod_uid=""):
    return {"id": path, "cpu": "total", "name": name, "container": container, "pod": pod,
            "namespace": ns, "image": image, "pod_uid": pod_uid}


class ContainersRuntime(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gen, cls.pb, cls.pbg = load_cri()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.gen, ignore_errors=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vitals-cri-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.makedirs(os.path.join(self.tmp, "proc"))
        for p in PATHS.values():
            make_cgroup(self.tmp, p)

    def agent(self, cri, docker, *flags):
        a = Agent("--collector.disable-defaults", "--collector.containers",
                  f"--path.sysfs={self.tmp}/sys", f"--path.procfs={self.tmp}/proc",
                  f"--collector.containers.cri-socket={cri}",
                  f"--collector.containers.docker-socket={docker}", *flags)
        self.addCleanup(a.stop)
        return a

    def cri(self):
        c = StandInCri(self.pb, self.pbg, os.path.join(self.tmp, "cri.sock"))
        self.addCleanup(c.stop)
        return c

    def test_labels_from_cri_and_docker(self):
        cri = self.cri()
        cri.sandbox(S1, "web-0", UID1, "shop")
        cri.sandbox(S2, "worker-abc", UID2, "jobs")
        cri.sandbox(S3, "db-0", UID3, "data")
        cri.container(C1, S1, "web", image=NGINX, image_ref=NGINX_REF)
        cri.container(C2, S2, "worker", image_ref=NGINX_REF)  # no image spec: the reference
        cri.container(C3, S3, "db", image="docker.io/library/postgres:16")
        docker = StandInDocker(os.path.join(self.tmp, "docker.sock"), [
            {"Id": D1, "Names": ["/redis-cache"], "Image": "redis:7", "Labels": {}},
            {"Id": "e" * 64, "Names": ["/gone"], "Image": "busybox", "Labels": None}])
        self.addCleanup(docker.stop)
        agent = self.agent(os.path.join(self.tmp, "cri.sock"), os.path.join(self.tmp, "docker.sock"))

        def labelled():
            by_id, fams = series(agent.scrape())
            return (by_id, fams) if by_id[PATHS["c1"]]["container"] and by_id[PATHS["d1"]]["image"] else None
        by_id, fams = wait_until(labelled, timeout=20, what="runtime labels")
        self.assertEqual(by_id[PATHS["c1"]], want(PATHS["c1"], C1, "web", "web-0", "shop", NGINX, UID1))
        self.assertEqual(by_id[PATHS["s1"]], want(PATHS["s1"], S1, "", "web-0", "shop", "", UID1))
        self.assertEqual(by_id[POD1], want(POD1, POD1.rsplit("/", 1)[1], "", "web-0", "shop", "", UID1))
        self.assertEqual(by_id[PATHS["c2"]], want(PATHS["c2"], C2, "worker", "worker-abc", "jobs",
                                                  NGINX_REF, UID2))
        self.assertEqual(by_id[POD2], want(POD2, POD2.rsplit("/", 1)[1], "", "worker-abc", "jobs", "", UID2))
        self.assertEqual(by_id[PATHS["c3"]], want(PATHS["c3"], C3, "db", "db-0", "data",
                                                  "docker.io/library/postgres:16", UID3))
        self.assertEqual(by_id[POD3], want(POD3, "", "", "db-0", "data", "", UID3))
        self.assertEqual(by_id[PATHS["d1"]], want(PATHS["d1"], "redis-cache", image="redis:7"))
        self.assertEqual(by_id[PATHS["ssh"]], want(PATHS["ssh"], "ssh.service"))
        self.assertEqual(by_id["/"], want("/"))
        # 3 pods by UID, 3 sandboxes, 3 containers from the CRI; 2 containers from Docker.
        self.assertEqual(sample(fams, "vitals_container_runtime_cache_entries"), 11)
        self.assertEqual(sample(fams, "vitals_container_runtime_cache_entries_max"), 10000)
        self.assertEqual(sample(fams, "vitals_container_runtime_up", runtime="cri"), 1)
        self.assertEqual(sample(fams, "vitals_container_runtime_up", runtime="docker"), 1)
        self.assertGreaterEqual(sample(fams, "vitals_container_runtime_requests_total",
                                       runtime="cri", result="ok"), 1)
        self.assertEqual(sample(fams, "vitals_container_runtime_requests_total",
                                runtime="docker", result="error"), 0)
        self.assertIn("/containers/json?all=1", docker.requests)

        # A container that appears later: the runtime lists it, then its cgroup appears; the
        # scrape that first sees the unknown id asks for a refresh and the labels follow.
        calls = cri.calls
        cri.container(C4, S1, "sidecar", image="docker.io/library/envoy:1.29")
        c4 = f"{POD1}/cri-containerd-{C4}.scope"
        make_cgroup(self.tmp, c4)

        def sidecar():
            s = series(agent.scrape())[0].get(c4)
            return s if s and s["container"] else None
        got = wait_until(sidecar, timeout=20, what="the new container's labels")
        self.assertEqual(got, want(c4, C4, "sidecar", "web-0", "shop", "docker.io/library/envoy:1.29", UID1))
        self.assertGreater(cri.calls, calls)
        # Known ids ask nothing more: further scrapes make no calls.
        calls = cri.calls
        for _ in range(3):
            agent.scrape()
        self.assertEqual(cri.calls, calls)

    def test_hung_and_absent_runtimes_leave_labels_empty(self):
        cri = self.cri()
        cri.sandbox(S1, "web-0", UID1, "shop")
        cri.container(C1, S1, "web", image=NGINX)
        cri.hang = True  # accepts the call, never answers
        agent = self.agent(os.path.join(self.tmp, "cri.sock"), os.path.join(self.tmp, "absent.sock"),
                           "--collector.containers.runtime-timeout=300ms")

        def failures_counted():
            by_id, fams = series(agent.scrape())  # every scrape answers meanwhile
            t = sample(fams, "vitals_container_runtime_requests_total", runtime="cri", result="timeout")
            e = sample(fams, "vitals_container_runtime_requests_total", runtime="docker", result="error")
            return (by_id, fams) if t and e else None
        by_id, fams = wait_until(failures_counted, timeout=20, what="timeout and error counted")
        self.assertEqual(by_id[PATHS["c1"]], want(PATHS["c1"], C1, pod_uid=UID1))
        self.assertEqual(by_id[PATHS["d1"]], want(PATHS["d1"], D1))
        self.assertEqual(sample(fams, "vitals_container_runtime_up", runtime="cri"), 0)
        self.assertEqual(sample(fams, "vitals_container_runtime_up", runtime="docker"), 0)
        self.assertEqual(sample(fams, "vitals_container_runtime_requests_total",
                                runtime="cri", result="ok"), 0)
        self.assertEqual(sample(fams, "vitals_container_runtime_cache_entries"), 0)
        self.assertEqual(sample(fams, "node_scrape_collector_success", collector="containers"), 1)

    def test_off_when_empty_and_absent_defaults_not_asked(self):
        # Empty flags turn the runtimes off: no lookups, no runtime self metrics.
        agent = self.agent("", "")
        by_id, fams = series(agent.scrape())
        self.assertEqual(by_id[PATHS["c1"]], want(PATHS["c1"], C1, pod_uid=UID1))
        self.assertNotIn("vitals_container_runtime_requests_total", fams)


def debian_python():
    """Debian's python3-grpcio lives in Debian's interpreter's dist-packages: where CTest found
    another python3 (a pyenv one) without it, the test runs under /usr/bin/python3 instead."""
    try:
        import grpc  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
                os.access("/usr/bin/python3", os.X_OK):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)


if __name__ == "__main__":
    debian_python()
    from vitals_testlib import main
    main()
