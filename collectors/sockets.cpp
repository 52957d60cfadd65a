// sockets: what `netstat -lnt`/`ss` answer during an incident, per port and cheaply.
//  - every listening TCP socket {protocol, address, port}: accept queue length, backlog, drops;
//  - every bound, unconnected UDP socket: receive queue bytes and drops;
//  - TCP connections by state: inbound by local port (a port this host listens on), outbound by
//    remote port.
// Sockets come from netlink sock_diag dumps that ask the kernel only for the states needed
// (listeners and connections in separate dumps) and only listeners' SK_MEMINFO; the counting is
// one bit test and one array increment per socket. See docs/sockets.md.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "collectors/net/port_counts.h"
#include "collectors/net/port_filter.h"
#include "collectors/net/process_map.h"
#include "collectors/net/socket_source.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kListenQueue{
    "node_tcp_listen_queue_length",
    "Connections in the accept queue of a listening TCP socket: established, not yet accepted.",
    MetricType::kGauge};
constexpr Desc kListenQueueMax{
    "node_tcp_listen_queue_max",
    "Backlog of a listening TCP socket: the accept queue holds at most this many plus one.",
    MetricType::kGauge};
constexpr Desc kListenDrops{
    "node_tcp_listen_drops_total",
    "Connection attempts a listening TCP socket dropped (accept queue full, or out of memory).",
    MetricType::kCounter};
constexpr Desc kUdpQueue{
    "node_udp_listen_receive_queue_bytes",
    "Memory used by datagrams queued on a bound UDP socket and not yet read, in bytes.",
    MetricType::kGauge};
constexpr Desc kUdpDrops{
    "node_udp_listen_drops_total",
    "Datagrams a bound UDP socket dropped (receive buffer full, or bad checksum).",
    MetricType::kCounter};
constexpr Desc kConnections{"node_tcp_connections",
                            "TCP connections by state, inbound by local listening port and "
                            "outbound by remote port.",
                            MetricType::kGauge};

enum Kind : uint8_t { kTcp = 0, kTcp6 = 1, kUdp = 2, kUdp6 = 3 };
constexpr std::string_view kKindName[] = {"tcp", "tcp6", "udp", "udp6"};
bool is_udp(uint8_t k) {
  return k >= kUdp;
}

struct Listener {
  uint8_t kind = 0;
  uint8_t family = 0;
  bool other = false;  // folded by max-ports
  uint16_t port = 0;
  std::array<uint8_t, 16> addr{};
  uint32_t inode = 0;
  std::string_view process;
  uint64_t queue = 0;  // TCP: accept queue length; UDP: receive queue bytes
  uint64_t max = 0;    // TCP: backlog (netlink only)
  uint64_t drops = 0;
  bool has_drops = false;
};

struct Options {
  net::SourceMode mode = net::SourceMode::kAuto;
  size_t max_ports = 0;
  bool processes = false;
  net::PortFilter filter;
};

class SocketsCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  SocketsCollector(const Options& o, const Paths& p)
      : opt_(o), source_(o.mode, p), processes_(p.procfs) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    // Everything again from an empty output when a dump was inconsistent
    // (collectors/netlink/dump_retry.h): the listener dumps decide what the connection dumps
    // count, so one run's dumps are repeated together.
    netlink::with_dump_retries("sockets", [&] {
      out.recycle();
      if (ctx.denied) *ctx.denied = {};
      collect_once(ctx, out);
    });
  }

 private:
  void collect_once(const CollectContext& ctx, MetricSet& out) {
    listeners_.clear();
    listening_.reset();
    inbound_.clear();
    outbound_.clear();

    // Listeners first: the connection dumps need to know which local ports are listening.
    bool tcp_netlink = true, udp_drops = true;
    for (uint8_t family : {AF_INET, AF_INET6}) {
      const uint8_t kind = family == AF_INET ? kTcp : kTcp6;
      net::DumpRequest r{.family = family,
                         .protocol = IPPROTO_TCP,
                         .states = net::state_bit(net::kListen),
                         .drops = true};
      auto used = source_.dump(r, ctx.deadline, [&](const net::InetSocket& s) {
        listening_.set(s.local_port);
        if (opt_.filter.allowed(s.local_port)) add_listener(kind, s, s.rqueue, s.wqueue);
      });
      if (used == net::Source::kProcfs) tcp_netlink = false;
    }
    for (uint8_t family : {AF_INET, AF_INET6}) {
      const uint8_t kind = family == AF_INET ? kUdp : kUdp6;
      net::DumpRequest r{.family = family,
                         .protocol = IPPROTO_UDP,
                         .states = net::state_bit(net::kClose),
                         .drops = true};
      source_.dump(r, ctx.deadline, [&](const net::InetSocket& s) {
        if (s.local_port == 0 || !opt_.filter.allowed(s.local_port)) return;
        add_listener(kind, s, s.rqueue, 0);
        udp_drops = udp_drops && s.drops.has_value();
      });
    }
    emit_listeners(ctx, out, tcp_netlink, udp_drops);

    // Connections: every TCP state but LISTEN, so the kernel skips the listener table.
    for (const Listener& l : listeners_) {
      if (!is_udp(l.kind) && !l.other) inbound_.touch(l.port);
    }
    // Both families in one dump: one walk of the kernel's established table (it visits every
    // bucket whatever the socket count).
    net::DumpRequest conns{.family = AF_UNSPEC,
                           .protocol = IPPROTO_TCP,
                           .states = net::kAllStates & ~net::state_bit(net::kListen)};
    source_.dump(conns, ctx.deadline, [&](const net::InetSocket& s) {
      if (listening_.test(s.local_port)) {
        if (opt_.filter.allowed(s.local_port)) inbound_.add(s.local_port, s.state);
      } else if (opt_.filter.allowed(s.remote_port)) {
        outbound_.add(s.remote_port, s.state);
      }
    });
    Family& f = out.add(kConnections);
    emit_connections(f, "inbound", inbound_);
    emit_connections(f, "outbound", outbound_);
    f.sort_samples();
  }

  void add_listener(uint8_t kind, const net::InetSocket& s, uint64_t queue, uint64_t max) {
    Listener& l = listeners_.emplace_back();
    l.kind = kind;
    l.family = s.family;
    l.port = s.local_port;
    l.addr = s.local_addr;
    l.inode = s.inode;
    l.queue = queue;
    l.max = max;
    l.has_drops = s.drops.has_value();
    l.drops = s.drops.value_or(0);
  }

  // Names processes, merges listeners with the same labels (SO_REUSEPORT groups, or one socket
  // per process) and folds the ports past max-ports into port="other".
  void aggregate(const CollectContext& ctx) {
    if (opt_.processes) {
      inodes_.clear();
      for (const Listener& l : listeners_) inodes_.push_back(l.inode);
      processes_.resolve(inodes_);
      uint64_t unnamed = 0;
      for (Listener& l : listeners_) {
        l.process = processes_.comm(l.inode);
        unnamed += l.process.empty();
      }
      // Listeners left without a process while some processes could not be looked into.
      if (processes_.denied() > 0) ctx.permission_denied(processes_.denied_first(), unnamed);
    }
    auto key = [](const Listener& l) {
      return std::tie(l.kind, l.other, l.port, l.addr, l.process);
    };
    // Keep the lowest max-ports ports of each family (TCP, UDP); fold the rest.
    std::sort(listeners_.begin(), listeners_.end(), [](const Listener& a, const Listener& b) {
      return std::tuple(is_udp(a.kind), a.port) < std::tuple(is_udp(b.kind), b.port);
    });
    if (opt_.max_ports > 0) {
      size_t distinct[2] = {0, 0};
      int last[2] = {-1, -1};
      for (Listener& l : listeners_) {
        int u = is_udp(l.kind);
        if (l.port != last[u]) {
          ++distinct[u];
          last[u] = l.port;
        }
        if (distinct[u] > opt_.max_ports) {
          l.other = true;
          l.port = 0;
          l.addr.fill(0);
          l.process = {};
        }
      }
    }
    std::sort(listeners_.begin(), listeners_.end(),
              [&](const Listener& a, const Listener& b) { return key(a) < key(b); });
    size_t w = 0;
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (w > 0 && key(listeners_[w - 1]) == key(listeners_[i])) {
        Listener& m = listeners_[w - 1];
        m.queue += listeners_[i].queue;
        m.max += listeners_[i].max;
        m.drops += listeners_[i].drops;
        m.has_drops = m.has_drops && listeners_[i].has_drops;
      } else {
        listeners_[w++] = listeners_[i];
      }
    }
    listeners_.resize(w);
  }

  void emit_listeners(const CollectContext& ctx, MetricSet& out, bool tcp_netlink, bool udp_drops) {
    aggregate(ctx);
    bool any_tcp = false, any_udp = false;
    for (const Listener& l : listeners_) (is_udp(l.kind) ? any_udp : any_tcp) = true;
    Family* queue = any_tcp ? &out.add(kListenQueue) : nullptr;
    Family* max = any_tcp && tcp_netlink ? &out.add(kListenQueueMax) : nullptr;
    Family* drops = any_tcp && tcp_netlink ? &out.add(kListenDrops) : nullptr;
    Family* udp_queue = any_udp ? &out.add(kUdpQueue) : nullptr;
    Family* udp_dropped = any_udp && udp_drops ? &out.add(kUdpDrops) : nullptr;
    char addr_buf[net::kAddrBufSize];
    char port_buf[8];
    Label labels[4];
    for (const Listener& l : listeners_) {
      std::string_view port = "other", addr;
      if (!l.other) {
        auto [end, ec] = std::to_chars(port_buf, port_buf + sizeof port_buf, l.port);
        port = std::string_view(port_buf, static_cast<size_t>(end - port_buf));
        addr = net::format_address(l.family, l.addr, addr_buf);
      }
      size_t n = 0;
      labels[n++] = {"protocol", kKindName[l.kind]};
      labels[n++] = {"address", addr};
      labels[n++] = {"port", port};
      if (opt_.processes) labels[n++] = {"process", l.process};
      std::span<const Label> ls(labels, n);
      if (is_udp(l.kind)) {
        udp_queue->add(ls, static_cast<double>(l.queue));
        if (udp_dropped) udp_dropped->add(ls, static_cast<double>(l.drops));
      } else {
        queue->add(ls, static_cast<double>(l.queue));
        if (max) max->add(ls, static_cast<double>(l.max));
        if (drops) drops->add(ls, static_cast<double>(l.drops));
      }
    }
    for (Family* f : {queue, max, drops, udp_queue, udp_dropped}) {
      if (f) f->sort_samples();
    }
  }

  void emit_connections(Family& f, std::string_view direction, const net::PortCounts& counts) {
    counts.top(opt_.max_ports, &rows_);
    char port_buf[8];
    for (const auto& row : rows_) {
      std::string_view port = "other";
      if (row.port != net::PortCounts::kOther) {
        auto [end, ec] = std::to_chars(port_buf, port_buf + sizeof port_buf, row.port);
        port = std::string_view(port_buf, static_cast<size_t>(end - port_buf));
      }
      uint64_t unknown = row.states[0];
      for (int st = net::kEstablished; st < net::PortCounts::kStates; ++st) {
        uint32_t v = row.states[st];
        if (st > net::kMaxTcpState) {
          unknown += v;
          continue;
        }
        // Inbound rows always show established, so a listening port with no client reads 0.
        if (v == 0 && !(st == net::kEstablished && direction == "inbound")) continue;
        f.add({{"direction", direction}, {"port", port}, {"state", net::tcp_state_name(st)}}, v);
      }
      if (unknown > 0) {
        f.add({{"direction", direction}, {"port", port}, {"state", "unknown"}},
              static_cast<double>(unknown));
      }
    }
  }

  Options opt_;
  net::SocketSource source_;
  net::SocketProcessMap processes_;
  std::vector<Listener> listeners_;
  std::vector<uint32_t> inodes_;
  std::bitset<65536> listening_;
  net::PortCounts inbound_, outbound_;
  std::vector<net::PortCounts::Row> rows_;
};

std::unique_ptr<Collector> SocketsCollector::create(const CollectorOptions& o, const Paths& p) {
  Options opt;
  if (!net::parse_source_mode(o.str("source"), &opt.mode)) {
    throw std::invalid_argument("--collector.sockets.source: want auto, netlink or procfs, got \"" +
                                o.str("source") + "\"");
  }
  int64_t max_ports = o.integer("max-ports");
  if (max_ports < 0) throw std::invalid_argument("--collector.sockets.max-ports: must be >= 0");
  opt.max_ports = static_cast<size_t>(max_ports);
  opt.processes = o.boolean("processes");
  std::string err;
  if (!opt.filter.init(o.str("port-include"), o.str("port-exclude"), &err)) {
    throw std::invalid_argument("--collector.sockets.port-include/exclude: " + err);
  }
  return std::make_unique<SocketsCollector>(opt, p);
}

}  // namespace

VITALS_COLLECTOR(
    SocketsCollector, "sockets", true,
    "Exposes listening sockets (accept queues, UDP receive queues, drops) and TCP connections per "
    "port and state.",
    {{"source", OptionKind::kString, "auto",
      "Where to read sockets: netlink (sock_diag), procfs (<path.procfs>/net/{tcp,udp}*) or "
      "auto (netlink, falling back to procfs when sock_diag is unavailable)."},
     {"max-ports", OptionKind::kInt, "50",
      "Most ports with their own series per family; the rest are summed into "
      "port=\"other\" (0: no limit)."},
     {"port-include", OptionKind::kString, "",
      "Only these ports, e.g. \"22,443,8000-8999\" (listener and inbound: local port; "
      "outbound: remote port). Exclusive with port-exclude."},
     {"port-exclude", OptionKind::kString, "", "Leave out these ports, e.g. \"9100,32768-60999\"."},
     {"processes", OptionKind::kBool, "false",
      "Add a process label (the comm) to listeners, found through /proc/<pid>/fd; needs "
      "CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE to see other users' processes."}});

}  // namespace vitals
