// nfs: NFS client statistics from /proc/net/rpc/nfs (node_exporter 1.5.0 names). As
// node_exporter, a line the file lacks counts as zeros (every procedure of NFS v2, v3 and v4 is
// exported); a v4 line shorter than the 59 procedures known is padded with zeros.
#include <cerrno>
#include <cstring>

#include "collectors/procfs/nfs_rpc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
constexpr Desc kPackets{"node_nfs_packets_total",
                        "Total NFSd network packets (sent+received) by protocol type.", C};
constexpr Desc kConnections{"node_nfs_connections_total", "Total number of NFSd TCP connections.",
                            C};
constexpr Desc kRpcs{"node_nfs_rpcs_total", "Total number of RPCs performed.", C};
constexpr Desc kRetrans{"node_nfs_rpc_retransmissions_total",
                        "Number of RPC transmissions performed.", C};
constexpr Desc kAuthRefresh{"node_nfs_rpc_authentication_refreshes_total",
                            "Number of RPC authentication refreshes performed.", C};
constexpr Desc kRequests{"node_nfs_requests_total", "Number of NFS procedures invoked.", C};

constexpr std::string_view kV2[] = {"Null", "GetAttr", "SetAttr", "Root",   "Lookup",  "ReadLink",
                                    "Read", "WrCache", "Write",   "Create", "Remove",  "Rename",
                                    "Link", "SymLink", "MkDir",   "RmDir",  "ReadDir", "FsStat"};
constexpr std::string_view kV3[] = {
    "Null",    "GetAttr",     "SetAttr", "Lookup", "Access",   "ReadLink", "Read",   "Write",
    "Create",  "MkDir",       "SymLink", "MkNod",  "Remove",   "RmDir",    "Rename", "Link",
    "ReadDir", "ReadDirPlus", "FsStat",  "FsInfo", "PathConf", "Commit"};
constexpr std::string_view kV4[] = {"Null",
                                    "Read",
                                    "Write",
                                    "Commit",
                                    "Open",
                                    "OpenConfirm",
                                    "OpenNoattr",
                                    "OpenDowngrade",
                                    "Close",
                                    "Setattr",
                                    "FsInfo",
                                    "Renew",
                                    "SetClientID",
                                    "SetClientIDConfirm",
                                    "Lock",
                                    "Lockt",
                                    "Locku",
                                    "Access",
                                    "Getattr",
                                    "Lookup",
                                    "LookupRoot",
                                    "Remove",
                                    "Rename",
                                    "Link",
                                    "Symlink",
                                    "Create",
                                    "Pathconf",
                                    "StatFs",
                                    "ReadLink",
                                    "ReadDir",
                                    "ServerCaps",
                                    "DelegReturn",
                                    "GetACL",
                                    "SetACL",
                                    "FsLocations",
                                    "ReleaseLockowner",
                                    "Secinfo",
                                    "FsidPresent",
                                    "ExchangeID",
                                    "CreateSession",
                                    "DestroySession",
                                    "Sequence",
                                    "GetLeaseTime",
                                    "ReclaimComplete",
                                    "LayoutGet",
                                    "GetDeviceInfo",
                                    "LayoutCommit",
                                    "LayoutReturn",
                                    "SecinfoNoName",
                                    "TestStateID",
                                    "FreeStateID",
                                    "GetDeviceList",
                                    "BindConnToSession",
                                    "DestroyClientID",
                                    "Seek",
                                    "Allocate",
                                    "DeAllocate",
                                    "LayoutStats",
                                    "Clone"};

class NfsCollector final : public Collector {
 public:
  explicit NfsCollector(const Paths& p) : path_(p.proc("net/rpc/nfs")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto file = read_if_present(reader_, path_);
    if (!file) throw NoDataError(path_ + " not found: NFS client module not loaded");
    std::string_view text = *file;
    procfs::parse_rpc_stats(text, stats_);
    parse::ParseErrors& errors = stats_.errors;
    auto line = [&](std::string_view key, size_t min) {
      return procfs::rpc_line(stats_, key, min);
    };
    auto net = line("net", 4);  // packets, udp, tcp, tcp connections
    Family& packets = out.add(kPackets);
    packets.add({{"protocol", "udp"}}, procfs::rpc_at(net, 1));
    packets.add({{"protocol", "tcp"}}, procfs::rpc_at(net, 2));
    out.add(kConnections).add(procfs::rpc_at(net, 3));
    auto rpc = line("rpc", 3);  // calls, retransmissions, authentication refreshes
    out.add(kRpcs).add(procfs::rpc_at(rpc, 0));
    out.add(kRetrans).add(procfs::rpc_at(rpc, 1));
    out.add(kAuthRefresh).add(procfs::rpc_at(rpc, 2));
    Family& requests = out.add(kRequests);
    auto procedures = [&](std::string_view key, size_t min, std::string_view proto,
                          std::span<const std::string_view> names) {
      std::span<const double> v;
      if (const auto* l = stats_.find(key)) v = procfs::rpc_procedures(stats_, *l, min, errors);
      for (size_t i = 0; i < names.size(); ++i) {
        requests.add({{"method", names[i]}, {"proto", proto}}, procfs::rpc_at(v, i));
      }
    };
    procedures("proc2", std::size(kV2), "2", kV2);
    procedures("proc3", std::size(kV3), "3", kV3);
    procedures("proc4", 0, "4", kV4);
    throw_if_errors(path_, errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
  procfs::RpcStats stats_;
};

}  // namespace

VITALS_COLLECTOR(NfsCollector, "nfs", true,
                 "Exposes NFS client statistics from /proc/net/rpc/nfs.");

}  // namespace vitals
