// nfsd: NFS server statistics from /proc/net/rpc/nfsd (node_exporter 1.5.0 names). As
// node_exporter, a line the file lacks counts as zeros.
#include <cerrno>
#include <cstring>

#include "collectors/procfs/nfs_rpc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
constexpr MetricType G = MetricType::kGauge;
constexpr Desc kHits{"node_nfsd_reply_cache_hits_total",
                     "Total number of NFSd Reply Cache hits (client lost server response).", C};
constexpr Desc kMisses{
    "node_nfsd_reply_cache_misses_total",
    "Total number of NFSd Reply Cache an operation that requires caching (idempotent).", C};
constexpr Desc kNocache{
    "node_nfsd_reply_cache_nocache_total",
    "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/\u2026).", C};
constexpr Desc kStale{"node_nfsd_file_handles_stale_total",
                      "Total number of NFSd stale file handles", C};
constexpr Desc kRead{"node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.", C};
constexpr Desc kWritten{"node_nfsd_disk_bytes_written_total", "Total NFSd bytes written.", C};
constexpr Desc kThreads{"node_nfsd_server_threads",
                        "Total number of NFSd kernel threads that are running.", G};
constexpr Desc kRaSize{"node_nfsd_read_ahead_cache_size_blocks",
                       "How large the read ahead cache is in blocks.", G};
constexpr Desc kRaNotFound{"node_nfsd_read_ahead_cache_not_found_total",
                           "Total number of NFSd read ahead cache not found.", C};
constexpr Desc kPackets{"node_nfsd_packets_total",
                        "Total NFSd network packets (sent+received) by protocol type.", C};
constexpr Desc kConnections{"node_nfsd_connections_total", "Total number of NFSd TCP connections.",
                            C};
constexpr Desc kRpcs{"node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.", C};
constexpr Desc kRpcErrors{"node_nfsd_rpc_errors_total",
                          "Total number of NFSd RPC errors by error type.", C};
constexpr Desc kRequests{"node_nfsd_requests_total",
                         "Total number NFSd Requests by method and protocol.", C};

struct Proc {
  std::string_view method;
  size_t index;  // into the values after the line's count
};

// node_exporter's lists: v2 and v3 without Null, v4 operations without the unused slots,
// PutPubFH and PutRootFH.
constexpr Proc kV2[] = {
    {"GetAttr", 1},  {"SetAttr", 2}, {"Root", 3},   {"Lookup", 4},   {"ReadLink", 5}, {"Read", 6},
    {"WrCache", 7},  {"Write", 8},   {"Create", 9}, {"Remove", 10},  {"Rename", 11},  {"Link", 12},
    {"SymLink", 13}, {"MkDir", 14},  {"RmDir", 15}, {"ReadDir", 16}, {"FsStat", 17}};
constexpr Proc kV3[] = {{"GetAttr", 1},      {"SetAttr", 2},  {"Lookup", 3},  {"Access", 4},
                        {"ReadLink", 5},     {"Read", 6},     {"Write", 7},   {"Create", 8},
                        {"MkDir", 9},        {"SymLink", 10}, {"MkNod", 11},  {"Remove", 12},
                        {"RmDir", 13},       {"Rename", 14},  {"Link", 15},   {"ReadDir", 16},
                        {"ReadDirPlus", 17}, {"FsStat", 18},  {"FsInfo", 19}, {"PathConf", 20},
                        {"Commit", 21}};
constexpr Proc kV4[] = {{"Access", 3},       {"Close", 4},        {"Commit", 5},     {"Create", 6},
                        {"DelegPurge", 7},   {"DelegReturn", 8},  {"GetAttr", 9},    {"GetFH", 10},
                        {"Link", 11},        {"Lock", 12},        {"Lockt", 13},     {"Locku", 14},
                        {"Lookup", 15},      {"LookupRoot", 16},  {"Nverify", 17},   {"Open", 18},
                        {"OpenAttr", 19},    {"OpenConfirm", 20}, {"OpenDgrd", 21},  {"PutFH", 22},
                        {"Read", 25},        {"ReadDir", 26},     {"ReadLink", 27},  {"Remove", 28},
                        {"Rename", 29},      {"Renew", 30},       {"RestoreFH", 31}, {"SaveFH", 32},
                        {"SecInfo", 33},     {"SetAttr", 34},     {"Verify", 35},    {"Write", 36},
                        {"RelLockOwner", 37}};

class NfsdCollector final : public Collector {
 public:
  explicit NfsdCollector(const Paths& p) : path_(p.proc("net/rpc/nfsd")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto file = read_if_present(reader_, path_);
    if (!file) throw NoDataError(path_ + " not found: NFS server module not loaded");
    std::string_view text = *file;
    procfs::parse_rpc_stats(text, stats_);
    parse::ParseErrors& errors = stats_.errors;
    auto line = [&](std::string_view key, size_t min) {
      return procfs::rpc_line(stats_, key, min);
    };
    auto rc = line("rc", 3);  // hits, misses, nocache
    out.add(kHits).add(procfs::rpc_at(rc, 0));
    out.add(kMisses).add(procfs::rpc_at(rc, 1));
    out.add(kNocache).add(procfs::rpc_at(rc, 2));
    out.add(kStale).add(procfs::rpc_at(line("fh", 1), 0));
    auto io = line("io", 2);
    out.add(kRead).add(procfs::rpc_at(io, 0));
    out.add(kWritten).add(procfs::rpc_at(io, 1));
    out.add(kThreads).add(procfs::rpc_at(line("th", 1), 0));
    auto ra = line("ra", 12);  // size, 10 histogram buckets, not found
    out.add(kRaSize).add(procfs::rpc_at(ra, 0));
    out.add(kRaNotFound).add(procfs::rpc_at(ra, 11));
    auto net = line("net", 4);  // packets, udp, tcp, tcp connections
    Family& packets = out.add(kPackets);
    packets.add({{"proto", "udp"}}, procfs::rpc_at(net, 1));
    packets.add({{"proto", "tcp"}}, procfs::rpc_at(net, 2));
    out.add(kConnections).add(procfs::rpc_at(net, 3));
    auto rpc = line("rpc", 5);  // calls, bad calls, bad format, bad auth, bad client
    out.add(kRpcs).add(procfs::rpc_at(rpc, 0));
    Family& rpc_errors = out.add(kRpcErrors);
    rpc_errors.add({{"error", "fmt"}}, procfs::rpc_at(rpc, 2));
    rpc_errors.add({{"error", "auth"}}, procfs::rpc_at(rpc, 3));
    rpc_errors.add({{"error", "cInt"}}, procfs::rpc_at(rpc, 4));
    Family& requests = out.add(kRequests);
    auto procedures = [&](std::string_view key, size_t min, std::string_view proto,
                          std::span<const Proc> procs) {
      std::span<const double> v;
      if (const auto* l = stats_.find(key)) v = procfs::rpc_procedures(stats_, *l, min, errors);
      for (const Proc& p : procs) {
        requests.add({{"method", p.method}, {"proto", proto}}, procfs::rpc_at(v, p.index));
      }
    };
    procedures("proc2", 18, "2", kV2);
    procedures("proc3", 22, "3", kV3);
    procedures("proc4ops", 39, "4", kV4);
    throw_if_errors(path_, errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
  procfs::RpcStats stats_;
};

}  // namespace

VITALS_COLLECTOR(NfsdCollector, "nfsd", true,
                 "Exposes NFS kernel server statistics from /proc/net/rpc/nfsd.");

}  // namespace vitals
