#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/, docs/fuzzing.md).

Two kinds of seeds: small files of node_exporter 1.5.0's fixture tree (../shared) and of this
repository's test fixtures, cut to at most 4 KiB at a line end; and samples generated here (OTLP
protobuf and JSON, Zipkin JSON, gzip bodies, netlink messages, config files). The family targets
(procfs, sysfs, cgroup) take a first byte choosing the parser: 'A' + the parser's index in the
target's table. Run from the repository root: tests/fuzz/make_seeds.py [SHARED_DIR]. Seeds it did
not write (crash reproducers kept as regression inputs, named crash-*) are left alone.
"""
import gzip
import json
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
NE = os.path.join(SHARED, "fixtures", "node_exporter-1.5.0")
REPO_FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX = 4096


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fixture(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) > MAX:
        data = data[:MAX]
        data = data[: data.rfind(b"\n") + 1] or data
    return data


def ne(rel):
    return fixture(os.path.join(NE, rel))


def sel(i):
    return bytes([ord("A") + i])


# ---- procfs: index = position in procfs_fuzz.cpp's kParsers
TCP = (b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
       b"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23814 1 0000000000000000 100 0 0 10 0\n"
       b"   1: 0100007F:8A3C 0100007F:1F90 01 00000010:00000002 02:000AFC7A 00000000  1000        0 23990 2 0000000000000000 20 4 30 10 -1\n")
TCP6 = (b"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        b"   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30410 1 0000000000000000 100 0 0 10 0\n"
        b"   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D2A4 01 00000000:00000000 00:00000000 00000000    65534        0 31000 1 0000000000000000 20 4 30 10 -1\n")
UDP6 = (b"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        b"  100: 00000000000000000000000000000000:0222 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 17281 2 0000000000000000 3\n")
PROCFS = [
    ("arp", [ne("proc/net/arp")]),
    ("cgroups", [ne("proc/cgroups")]),
    ("nf_conntrack", [ne("proc/net/stat/nf_conntrack")]),
    ("cpuinfo", [ne("proc/cpuinfo")]),
    ("diskstats", [ne("proc/diskstats")]),
    ("udev", [ne("udev/data/b11:0"), ne("udev/data/b179:0")]),
    ("interrupts", [ne("proc/interrupts")]),
    ("file-nr", [ne("proc/sys/fs/file-nr")]),
    ("vmstat", [ne("proc/vmstat")]),
    ("loadavg", [ne("proc/loadavg")]),
    ("mdstat", [ne("proc/mdstat")]),
    ("meminfo", [ne("proc/meminfo")]),
    ("mounts", [ne("proc/1/mounts")]),
    ("tcp", [TCP]),
    ("tcp6", [TCP6]),
    ("udp", [ne("proc/net/udp")]),
    ("udp6", [UDP6]),
    ("netdev", [fixture(os.path.join(REPO_FIX, "containers/v2/proc/1/net/dev"))]),
    ("sockstat", [ne("proc/net/sockstat"), ne("proc/net/sockstat6")]),
    ("softnet", [ne("proc/net/softnet_stat")]),
    ("netstat", [ne("proc/net/netstat"), ne("proc/net/snmp")]),
    ("snmp6", [ne("proc/net/snmp6")]),
    ("pid_stat", [ne("proc/1/stat"), b"4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1200 0 3 0 "
                  b"150 30 0 0 20 0 7 0 8000 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"]),
    ("pid_status", [b"Name:\tbash\nState:\tS (sleeping)\nVmSwap:\t     128 kB\n"
                    b"voluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t5\n"]),
    ("pid_io", [b"rchar: 2000\nwchar: 300\nsyscr: 10\nsyscw: 3\nread_bytes: 4096\n"
                b"write_bytes: 8192\ncancelled_write_bytes: 0\n"]),
    ("pid_limits", [b"Limit                     Soft Limit           Hard Limit           Units     \n"
                    b"Max cpu time              unlimited            unlimited            seconds   \n"
                    b"Max open files            1024                 524288               files     \n"]),
    ("pressure", [ne("proc/pressure/cpu"), ne("proc/pressure/memory")]),
    ("schedstat", [ne("proc/schedstat")]),
    ("stat", [ne("proc/stat")]),
]
for i, (name, texts) in enumerate(PROCFS):
    for k, t in enumerate(texts):
        write("procfs", f"{name}-{k}", sel(i) + t)

# ---- sysfs: index = position in sysfs_fuzz.cpp's kParsers
eth0 = os.path.join(NE, "sys/devices/pci0000:00/0000:00:03.0/0000:03:00.0/net/eth0")
ATTRS = ("addr_assign_type address broadcast carrier carrier_changes carrier_up_count "
         "carrier_down_count dev_id dormant duplex flags ifalias ifindex iflink link_mode mtu "
         "name_assign_type netdev_group operstate speed tx_queue_len type").split()
netattrs = b"\0".join(fixture(os.path.join(eth0, a)) if os.path.exists(os.path.join(eth0, a))
                      else b"" for a in ATTRS)
SYSFS = [
    ("int", [b"1500\n", b"0x1003", b"-1", b"0o17"]),
    ("utf8", [b"plain", "eth\u00e9 \u2603".encode(), b"bad\xff\xfe\xc3(\xe2\x82"]),
    ("trim", [b"  up\n\t"]),
    ("suffix", [b"cpu\0cpu12", b"hwmon\0hwmon3"]),
    ("sensor", [b"temp1_crit_alarm", b"in0_input", b"beep_enable", b"fan2_min"]),
    ("clean", [fixture(os.path.join(NE, "sys/devices/platform/nct6775.656/hwmon/hwmon3/name")),
               b"Platform/Coretemp.0"]),
    ("hwmon_metric", [b"temp\0crit_alarm", b"in\0input", b"pwm\0enable", b"power\0average"]),
    ("netclass", [netattrs]),
    ("cpu_list", [ne("sys/devices/system/cpu/isolated"), b"0-3,8,10-11\n"]),
]
for i, (name, texts) in enumerate(SYSFS):
    for k, t in enumerate(texts):
        write("sysfs", f"{name}-{k}", sel(i) + t)

# ---- cgroup: index = position in cgroup_fuzz.cpp's kParsers
CG2 = os.path.join(REPO_FIX, "containers/v2/sys/fs/cgroup")
CGROUP = [
    ("single", [b"123456789\n", b"-1\n"]),
    ("limit", [b"max\n", b"536870912\n"]),
    ("cpu_max", [b"max 100000\n", b"50000 100000\n"]),
    ("nested", [fixture(os.path.join(CG2, "io.stat"))]),
    ("blkio", [b"8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Discard 0\n"
               b"8:0 Total 12288\nTotal 12288\n"]),
    ("procs", [b"1\n42\n4242\n"]),
    ("keyed", [fixture(os.path.join(CG2, "cpu.stat")), fixture(os.path.join(CG2, "memory.stat"))]),
    ("pressure", [fixture(os.path.join(CG2, "cpu.pressure"))]),
    ("name", [b"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_"
              b"8796_a5b4c3d2e1f0.slice/cri-containerd-" + b"a1b2" * 16 + b".scope",
              b"/docker/" + b"0123456789abcdef" * 4, b"/system.slice/ssh.service",
              b"/machine.slice/libpod-" + b"fe" * 32 + b".scope/container"]),
]
for i, (name, texts) in enumerate(CGROUP):
    for k, t in enumerate(texts):
        write("cgroup", f"{name}-{k}", sel(i) + t)

# ---- rootfs
write("rootfs", "os-release-ne", ne("usr/lib/os-release"))
write("rootfs", "os-release-quoted", 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
      "PRETTY_NAME='Debian \\\"12\\\"'\n# comment\n\nID=debian\nVERSION=\"12 (bookworm)\"\n")

# ---- textfile
for d in ["histogram", "summary", "different_metric_types", "client_side_timestamp",
          "inconsistent_metrics", "histogram_extra_dimension", "summary_extra_dimension"]:
    dd = os.path.join(NE, "textfile", d)
    for f in sorted(os.listdir(dd)):
        write("textfile", f"{d}-{f}", fixture(os.path.join(dd, f)))
write("textfile", "escapes", '# HELP http_total Requests \\\\ with a\\nnewline.\n'
      '# TYPE http_total counter\nhttp_total{code="200",path="/a\\"b\\\\c\\nd"} 35 1700000000000\n'
      'http_total{ code = "500" , } 1e3\n  up 1\ntemp{sensor="x"} -Inf\nnan_metric NaN\n')

# ---- config (INI, as --config.file)
write("config", "basic.ini", "web.listen-address = :9100\nweb.telemetry-path = /metrics\n"
      "collector.timeout = 5s\nlog.level = warn\n")
write("config", "collectors.ini",
      "collector.disable-defaults = true\ncollector.cpu = true\ncollector.textfile = true\n"
      "collector.textfile.directory = /var/lib/vitals/textfile\n"
      "collector.filesystem.mount-points-exclude = ^/(dev|proc|sys)($|/)\n"
      "collector.netdev.device-exclude = ^lo$\n"
      "collector.process_groups = true\n")
write("config", "apm.ini", "apm.otlp.listen-address = 127.0.0.1:4318\napm.zipkin.listen-address =\n"
      "apm.dimension = http.route\napm.dimension = http.status_code\n"
      "apm.buckets = 0.005,0.05,0.5,5\napm.max-series = 100\napm.series-expiry = 5m\n"
      "apm.native-histograms = true\napm.native-histograms.schema = 2\n")
write("config", "paths.ini", "path.procfs = /host/proc\npath.sysfs = /host/sys\n"
      "path.rootfs = /host\n[collector]\nworkers = 2\nmax-threads = 8\n")


# ---- OTLP protobuf: a small hand-written encoder (field numbers of proto/otlp_*.proto)
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wt, payload):
    key = varint(num << 3 | wt)
    if wt == 0:
        return key + varint(payload)
    if wt == 1:
        return key + struct.pack("<Q", payload)
    return key + varint(len(payload)) + payload


def anyvalue(v):
    if isinstance(v, bool):
        return field(2, 0, int(v))
    if isinstance(v, int):
        return field(3, 0, v & (2**64 - 1))
    if isinstance(v, float):
        return field(4, 1, struct.unpack("<Q", struct.pack("<d", v))[0])
    return field(1, 2, v.encode())


def kv(k, v):
    return field(1, 2, k.encode()) + field(2, 2, anyvalue(v))


def span(name, tid, sid, pid, kind, start, end, attrs, status=0):
    b = field(1, 2, tid) + field(2, 2, sid)
    if pid:
        b += field(4, 2, pid)
    b += field(5, 2, name.encode()) + field(6, 0, kind) + field(7, 1, start) + field(8, 1, end)
    for k, v in attrs:
        b += field(9, 2, kv(k, v))
    if status:
        b += field(15, 2, field(3, 0, status))
    return b


def request(service, spans, res_attrs=()):
    res = field(1, 2, kv("service.name", service))
    for k, v in res_attrs:
        res += field(1, 2, kv(k, v))
    scope = field(1, 2, field(1, 2, b"io.opentelemetry.http") + field(2, 2, b"1.0"))
    for s in spans:
        scope += field(2, 2, s)
    rs = field(1, 2, res) + field(2, 2, scope)
    return field(1, 2, rs)


T0 = 1_700_000_000_000_000_000
tid = bytes(range(1, 17))
spans = [
    span("GET /users/{id}", tid, bytes(range(1, 9)), None, 2, T0, T0 + 3_000_000,
         [("http.route", "/users/{id}"), ("http.status_code", 200), ("error", False)]),
    span("SELECT users", tid, bytes(range(2, 10)), bytes(range(1, 9)), 3, T0 + 100, T0 + 900_000,
         [("peer.service", "postgres"), ("db.rows", 1.5)], status=2),
    span("", tid, bytes(range(3, 11)), None, 1, T0, T0 - 1, []),  # rejected: no name, end < start
]
write("otlp_proto", "two-spans", request("users", spans, [("service.version", "1.4.2")]))
write("otlp_proto", "empty", b"")
write("otlp_proto", "two-resources",
      request("a", spans[:1]) + request("b", [span("consume", tid, b"\x09" * 8, None, 5, T0, T0 + 5,
                                                   [("http.route", "q")])]))


# ---- OTLP JSON (hex ids, string int64s, as the OTLP/JSON mapping has them)
def jspan(name, sid, kind, start, end, attrs, parent=None, status=None):
    s = {"traceId": tid.hex(), "spanId": sid.hex(), "name": name, "kind": kind,
         "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": attrs}
    if parent:
        s["parentSpanId"] = parent.hex()
    if status is not None:
        s["status"] = {"code": status}
    return s


otlp_json = {"resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "users"}},
                                {"key": "service.version", "value": {"stringValue": "1.4.2"}}]},
    "scopeSpans": [{"scope": {"name": "http"}, "spans": [
        jspan("GET /users/{id}", bytes(range(1, 9)), 2, T0, T0 + 3_000_000,
              [{"key": "http.route", "value": {"stringValue": "/users/{id}"}},
               {"key": "http.status_code", "value": {"intValue": "200"}},
               {"key": "error", "value": {"boolValue": False}}]),
        jspan("SELECT users", bytes(range(2, 10)), 3, T0 + 100, T0 + 900_000,
              [{"key": "peer.service", "value": {"stringValue": "postgres"}},
               {"key": "db.rows", "value": {"doubleValue": 1.5}}],
              parent=bytes(range(1, 9)), status=2),
        jspan("", bytes(range(3, 11)), 1, T0, T0 - 1, []),
    ]}]}]}
write("otlp_json", "two-spans.json", json.dumps(otlp_json, indent=1))
write("otlp_json", "empty.json", "{}")
write("otlp_json", "kind-names.json", json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
    dict(jspan("op", bytes(range(1, 9)), 0, T0, T0 + 1, []), kind="SPAN_KIND_CLIENT")]}]}]}))

# ---- Zipkin v2 JSON (microseconds)
zipkin = [
    {"traceId": tid.hex(), "id": bytes(range(1, 9)).hex(), "name": "get /users/{id}",
     "kind": "SERVER", "timestamp": T0 // 1000, "duration": 3000,
     "localEndpoint": {"serviceName": "users", "ipv4": "10.0.0.1"},
     "tags": {"http.route": "/users/{id}", "http.status_code": "200", "error": "boom"}},
    {"traceId": tid[8:].hex(), "id": bytes(range(2, 10)).hex(), "parentId": bytes(range(1, 9)).hex(),
     "name": "select", "kind": "CLIENT", "timestamp": T0 // 1000 + 1, "duration": 900,
     "localEndpoint": {"serviceName": "users"}, "remoteEndpoint": {"serviceName": "postgres"}},
    {"traceId": tid.hex(), "id": "0102", "name": "no-duration", "timestamp": T0 // 1000},
]
write("zipkin_json", "three-spans.json", json.dumps(zipkin, indent=1))
write("zipkin_json", "empty.json", "[]")

# ---- gzip bodies: first byte = log2 of the limit (apm::gunzip's max)
body = json.dumps(otlp_json).encode()
write("gzip", "member", bytes([20]) + gzip.compress(body, mtime=0))
write("gzip", "two-members", bytes([20]) + gzip.compress(b"hello ", mtime=0) + gzip.compress(b"world", mtime=0))
write("gzip", "zlib", bytes([20]) + zlib.compress(body))
write("gzip", "over-limit", bytes([10]) + gzip.compress(b"x" * 5000, mtime=0))
write("gzip", "truncated", bytes([20]) + gzip.compress(body, mtime=0)[:-9])
write("gzip", "empty-member", bytes([0]) + gzip.compress(b"", mtime=0))

# ---- netlink RTM_GETLINK dump (linux/rtnetlink.h, linux/if_link.h constants)
RTM_NEWLINK, NLMSG_DONE, NLM_F_MULTI = 16, 3, 2
IFLA = dict(ADDRESS=1, BROADCAST=2, IFNAME=3, MTU=4, LINK=5, OPERSTATE=16, LINKMODE=17,
            STATS64=23, IFALIAS=20, GROUP=27, PROMISCUITY=30, CARRIER=33, CARRIER_CHANGES=35,
            CARRIER_UP_COUNT=47, CARRIER_DOWN_COUNT=48, TXQLEN=13, ALLMULTI=61)


def align4(b):
    return b + b"\0" * (-len(b) % 4)


def rta(t, payload):
    return align4(struct.pack("<HH", 4 + len(payload), t) + payload)


def nlmsg(t, payload, flags=NLM_F_MULTI, seq=1):
    return align4(struct.pack("<IHHII", 16 + len(payload), t, flags, seq, 4242) + payload)


def link(index, name, flags, ifi_type=1, mac=None, stats=True, alias=None):
    b = struct.pack("<BxHiII", 0, ifi_type, index, flags, 0)
    b += rta(IFLA["IFNAME"], name + b"\0") + rta(IFLA["MTU"], struct.pack("<I", 1500))
    b += rta(IFLA["TXQLEN"], struct.pack("<I", 1000)) + rta(IFLA["OPERSTATE"], b"\x06")
    b += rta(IFLA["LINKMODE"], b"\x00") + rta(IFLA["GROUP"], struct.pack("<I", 0))
    b += rta(IFLA["PROMISCUITY"], struct.pack("<I", 0)) + rta(IFLA["CARRIER"], b"\x01")
    b += rta(IFLA["CARRIER_CHANGES"], struct.pack("<I", 2))
    b += rta(IFLA["CARRIER_UP_COUNT"], struct.pack("<I", 1))
    b += rta(IFLA["CARRIER_DOWN_COUNT"], struct.pack("<I", 1))
    b += rta(IFLA["LINK"], struct.pack("<I", index))
    if mac:
        b += rta(IFLA["ADDRESS"], mac) + rta(IFLA["BROADCAST"], b"\xff" * len(mac))
    if alias:
        b += rta(IFLA["IFALIAS"], alias + b"\0")
    if stats:
        b += rta(IFLA["STATS64"], struct.pack("<24Q", *range(100, 124)))
    return nlmsg(RTM_NEWLINK, b)


done = nlmsg(NLMSG_DONE, struct.pack("<i", 0))
dump = link(1, b"lo", 0x10049, ifi_type=772, mac=b"\0" * 6) + \
    link(2, b"eth0", 0x11043, mac=bytes([0x02, 0x42, 0xac, 0x11, 0, 2]), alias=b"uplink")
write("netlink_link", "lo-eth0-done", b"\0" + dump + done)
write("netlink_link", "split", bytes([len(link(1, b"lo", 0x10049)) // 4]) + link(1, b"lo", 0x10049) +
      link(3, b"wg0", 0x90, ifi_type=65534, stats=False) + done)
write("netlink_link", "intr", b"\0" + link(4, b"veth1", 0x1003)[:4] +
      struct.pack("<H", RTM_NEWLINK) + struct.pack("<H", NLM_F_MULTI | 0x10) + link(4, b"veth1", 0x1003)[8:])

# ---- sock_diag replies: inet_diag_msg (linux/inet_diag.h) + INET_DIAG_SKMEMINFO
SOCK_DIAG_BY_FAMILY, INET_DIAG_SKMEMINFO = 20, 1


def diag(family, state, sport, dport, src, dst, rq, wq, uid, inode, drops=None, seq=7):
    idiag_id = struct.pack(">HH", sport, dport) + src.ljust(16, b"\0") + dst.ljust(16, b"\0") + \
        struct.pack("<I", 0) + struct.pack("<II", 0xffffffff, 0xffffffff)
    m = struct.pack("<BBBB", family, state, 0, 0) + idiag_id + struct.pack("<IIIII", 0, rq, wq, uid, inode)
    if drops is not None:
        m += rta(INET_DIAG_SKMEMINFO, struct.pack("<9I", 0, 0, 0, 0, 0, 0, 0, 0, drops))
    return nlmsg(SOCK_DIAG_BY_FAMILY, m, seq=seq)


ddone = nlmsg(NLMSG_DONE, struct.pack("<i", 0), seq=7)
write("sock_diag", "tcp4", diag(2, 10, 9100, 0, bytes([127, 0, 0, 1]), b"", 0, 128, 0, 1234) +
      diag(2, 1, 9100, 40000, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]), 0, 0, 1000, 1235) + ddone)
write("sock_diag", "udp6-drops", diag(10, 7, 53, 0, b"\0" * 15 + b"\1", b"", 2048, 0, 0, 99, drops=3) + ddone)
write("sock_diag", "error", nlmsg(2, struct.pack("<i", -22) + b"\0" * 16, seq=7))
# ---- nl80211 generic netlink replies (linux/genetlink.h, linux/nl80211.h constants); family
# id 0x1c as the nl80211 fuzz target assumes; first byte 'A' + parser (family, interfaces,
# stations, scan)
GENL_ID_CTRL, NL80211 = 0x10, 0x1c


def genl(t, cmd, attrs):
    return nlmsg(t, struct.pack("<BBH", cmd, 1, 0) + b"".join(attrs))


def u32(t, v):
    return rta(t, struct.pack("<I", v))


write("nl80211", "family", b"A" + genl(GENL_ID_CTRL, 1, [rta(2, b"nl80211\0"), rta(1, struct.pack("<H", NL80211)),
                                                          u32(3, 1)]))
write("nl80211", "family-enoent", b"A" + nlmsg(2, struct.pack("<i", -2) + b"\0" * 16, flags=0))
write("nl80211", "interfaces", b"B" + genl(NL80211, 7, [u32(3, 3), rta(4, b"wlan0\0"), u32(5, 2),
                                                        rta(6, bytes.fromhex("001122334455")), u32(38, 2412)]) +
      genl(NL80211, 7, [u32(5, 10)]) + done)
sta_info = rta(0x8000 | 21, u32(1, 400) + rta(23, struct.pack("<Q", 5000000000)) + u32(3, 2000) + rta(7, b"\xcc") +
               rta(0x8000 | 8, u32(5, 1280)) + rta(0x8000 | 14, rta(1, struct.pack("<H", 1640))) +
               u32(11, 10) + u32(12, 2) + u32(18, 1) + u32(16, 30))
write("nl80211", "stations", b"C" + genl(NL80211, 19, [u32(3, 3), rta(6, bytes.fromhex("aabbccddeeff")), sta_info]) +
      done)
bss = rta(0x8000 | 47, rta(1, bytes.fromhex("001122334455")) + u32(2, 2412) +
          rta(6, b"\x00\x07Example\x01\x04\x82\x84\x8b\x96") + u32(9, 1))
write("nl80211", "scan", b"D" + genl(NL80211, 34, [u32(46, 3), u32(3, 3), bss]) + done)

print("seeds written to", OUT)
