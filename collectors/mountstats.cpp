// mountstats: NFS client statistics per mount from /proc/self/mountstats, with the server
// address from /proc/self/mountinfo (node_exporter 1.5.0 names and rules: a mount with the
// same export, protocol and address as an earlier one is left out). Each file is read once and
// scanned once per scrape; mountinfo only when there is an NFS mount.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "collectors/procfs/mountstats.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
constexpr MetricType G = MetricType::kGauge;
constexpr uint64_t kMantissaU = 9007199254740992ull;

constexpr Desc kAge{"node_mountstats_nfs_age_seconds_total", "The age of the NFS mount in seconds.",
                    C};
// Parallel to NfsMount::bytes.
constexpr Desc kBytes[] = {
    {"node_mountstats_nfs_read_bytes_total", "Number of bytes read using the read() syscall.", C},
    {"node_mountstats_nfs_write_bytes_total", "Number of bytes written using the write() syscall.",
     C},
    {"node_mountstats_nfs_direct_read_bytes_total",
     "Number of bytes read using the read() syscall in O_DIRECT mode.", C},
    {"node_mountstats_nfs_direct_write_bytes_total",
     "Number of bytes written using the write() syscall in O_DIRECT mode.", C},
    {"node_mountstats_nfs_total_read_bytes_total",
     "Number of bytes read from the NFS server, in total.", C},
    {"node_mountstats_nfs_total_write_bytes_total",
     "Number of bytes written to the NFS server, in total.", C},
    {"node_mountstats_nfs_read_pages_total", "Number of pages read directly via mmap()'d files.",
     C},
    {"node_mountstats_nfs_write_pages_total",
     "Number of pages written directly via mmap()'d files.", C},
};
struct Indexed {
  size_t index;
  Desc desc;
};
// Into NfsMount::transport.
constexpr Indexed kTransport[] = {
    {1,
     {"node_mountstats_nfs_transport_bind_total",
      "Number of times the client has had to establish a connection from scratch to the NFS "
      "server.",
      C}},
    {2,
     {"node_mountstats_nfs_transport_connect_total",
      "Number of times the client has made a TCP connection to the NFS server.", C}},
    {4,
     {"node_mountstats_nfs_transport_idle_time_seconds",
      "Duration since the NFS mount last saw any RPC traffic, in seconds.", G}},
    {5,
     {"node_mountstats_nfs_transport_sends_total",
      "Number of RPC requests for this mount sent to the NFS server.", C}},
    {6,
     {"node_mountstats_nfs_transport_receives_total",
      "Number of RPC responses for this mount received from the NFS server.", C}},
    {7,
     {"node_mountstats_nfs_transport_bad_transaction_ids_total",
      "Number of times the NFS server sent a response with a transaction ID unknown to this "
      "client.",
      C}},
    {9,
     {"node_mountstats_nfs_transport_backlog_queue_total",
      "Total number of items added to the RPC backlog queue.", C}},
    {10,
     {"node_mountstats_nfs_transport_maximum_rpc_slots",
      "Maximum number of simultaneously active RPC requests ever used.", G}},
    {11,
     {"node_mountstats_nfs_transport_sending_queue_total",
      "Total number of items added to the RPC transmission sending queue.", C}},
    {12,
     {"node_mountstats_nfs_transport_pending_queue_total",
      "Total number of items added to the RPC transmission pending queue.", C}},
};
// Into NfsOperation::v; the last three are milliseconds, exported as seconds.
constexpr Desc kOps[] = {
    {"node_mountstats_nfs_operations_requests_total",
     "Number of requests performed for a given operation.", C},
    {"node_mountstats_nfs_operations_transmissions_total",
     "Number of times an actual RPC request has been transmitted for a given operation.", C},
    {"node_mountstats_nfs_operations_major_timeouts_total",
     "Number of times a request has had a major timeout for a given operation.", C},
    {"node_mountstats_nfs_operations_sent_bytes_total",
     "Number of bytes sent for a given operation, including RPC headers and payload.", C},
    {"node_mountstats_nfs_operations_received_bytes_total",
     "Number of bytes received for a given operation, including RPC headers and payload.", C},
    {"node_mountstats_nfs_operations_queue_time_seconds_total",
     "Duration all requests spent queued for transmission for a given operation before they "
     "were sent, in seconds.",
     C},
    {"node_mountstats_nfs_operations_response_time_seconds_total",
     "Duration all requests took to get a reply back after a request for a given operation was "
     "transmitted, in seconds.",
     C},
    {"node_mountstats_nfs_operations_request_time_seconds_total",
     "Duration all requests took from when a request was enqueued to when it was completely "
     "handled for a given operation, in seconds.",
     C},
};
// Into NfsMount::events (18, congestion wait, is not exported).
constexpr Indexed kEvents[] = {
    {0,
     {"node_mountstats_nfs_event_inode_revalidate_total",
      "Number of times cached inode attributes are re-validated from the server.", C}},
    {1,
     {"node_mountstats_nfs_event_dnode_revalidate_total",
      "Number of times cached dentry nodes are re-validated from the server.", C}},
    {2,
     {"node_mountstats_nfs_event_data_invalidate_total",
      "Number of times an inode cache is cleared.", C}},
    {3,
     {"node_mountstats_nfs_event_attribute_invalidate_total",
      "Number of times cached inode attributes are invalidated.", C}},
    {4,
     {"node_mountstats_nfs_event_vfs_open_total",
      "Number of times cached inode attributes are invalidated.", C}},
    {5,
     {"node_mountstats_nfs_event_vfs_lookup_total",
      "Number of times a directory lookup has occurred.", C}},
    {6,
     {"node_mountstats_nfs_event_vfs_access_total",
      "Number of times permissions have been checked.", C}},
    {7,
     {"node_mountstats_nfs_event_vfs_update_page_total",
      "Number of updates (and potential writes) to pages.", C}},
    {8,
     {"node_mountstats_nfs_event_vfs_read_page_total",
      "Number of pages read directly via mmap()'d files.", C}},
    {9,
     {"node_mountstats_nfs_event_vfs_read_pages_total",
      "Number of times a group of pages have been read.", C}},
    {10,
     {"node_mountstats_nfs_event_vfs_write_page_total",
      "Number of pages written directly via mmap()'d files.", C}},
    {11,
     {"node_mountstats_nfs_event_vfs_write_pages_total",
      "Number of times a group of pages have been written.", C}},
    {12,
     {"node_mountstats_nfs_event_vfs_getdents_total",
      "Number of times directory entries have been read with getdents().", C}},
    {13,
     {"node_mountstats_nfs_event_vfs_setattr_total",
      "Number of times directory entries have been read with getdents().", C}},
    {14,
     {"node_mountstats_nfs_event_vfs_flush_total",
      "Number of pending writes that have been forcefully flushed to the server.", C}},
    {15,
     {"node_mountstats_nfs_event_vfs_fsync_total",
      "Number of times fsync() has been called on directories and files.", C}},
    {16,
     {"node_mountstats_nfs_event_vfs_lock_total",
      "Number of times locking has been attempted on a file.", C}},
    {17,
     {"node_mountstats_nfs_event_vfs_file_release_total",
      "Number of times files have been closed and released.", C}},
    {19,
     {"node_mountstats_nfs_event_truncation_total", "Number of times files have been truncated.",
      C}},
    {20,
     {"node_mountstats_nfs_event_write_extension_total",
      "Number of times a file has been grown due to writes beyond its existing end.", C}},
    {21,
     {"node_mountstats_nfs_event_silly_rename_total",
      "Number of times a file was removed while still open by another process.", C}},
    {22,
     {"node_mountstats_nfs_event_short_read_total",
      "Number of times the NFS server gave less data than expected while reading.", C}},
    {23,
     {"node_mountstats_nfs_event_short_write_total",
      "Number of times the NFS server wrote less data than expected while writing.", C}},
    {24,
     {"node_mountstats_nfs_event_jukebox_delay_total",
      "Number of times the NFS server indicated EJUKEBOX; retrieving data from offline "
      "storage.",
      C}},
    {25, {"node_mountstats_nfs_event_pnfs_read_total", "Number of NFS v4.1+ pNFS reads.", C}},
    {26, {"node_mountstats_nfs_event_pnfs_write_total", "Number of NFS v4.1+ pNFS writes.", C}},
};

class MountstatsCollector final : public Collector {
 public:
  explicit MountstatsCollector(const Paths& p)
      : stats_path_(p.proc("self/mountstats")), info_path_(p.proc("self/mountinfo")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    procfs::parse_mountstats(stats_reader_.read(stats_path_), stats_);
    parse::ParseErrors& errors = stats_.errors;
    if (stats_.nfs.empty()) {
      throw_if_errors(stats_path_, errors);
      return;
    }
    parse::ParseErrors info_errors;
    procfs::parse_mountinfo_addrs(info_reader_.read(info_path_), addrs_, info_errors);

    // Keep the first mount of each (export, protocol, address), in file order.
    order_.clear();
    for (size_t i = 0; i < stats_.nfs.size(); ++i) order_.push_back(i);
    auto key = [&](size_t i) {
      const auto& m = stats_.nfs[i];
      return std::tuple(m.device, m.protocol, addr(m), i);
    };
    std::sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
    keep_.assign(stats_.nfs.size(), true);
    for (size_t k = 1; k < order_.size(); ++k) {
      const auto& a = stats_.nfs[order_[k - 1]];
      const auto& b = stats_.nfs[order_[k]];
      if (a.device == b.device && a.protocol == b.protocol && addr(a) == addr(b)) {
        keep_[order_[k]] = false;
      }
    }

    Family& age = out.add(kAge);
    std::array<Family*, std::size(kBytes)> bytes;
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = &out.add(kBytes[i]);
    std::array<Family*, std::size(kTransport)> transport;
    for (size_t i = 0; i < transport.size(); ++i) transport[i] = &out.add(kTransport[i].desc);
    std::array<Family*, std::size(kOps)> ops;
    for (size_t i = 0; i < ops.size(); ++i) ops[i] = &out.add(kOps[i]);
    std::array<Family*, std::size(kEvents)> events;
    for (size_t i = 0; i < events.size(); ++i) events[i] = &out.add(kEvents[i].desc);

    for (size_t i = 0; i < stats_.nfs.size(); ++i) {
      if (!keep_[i]) continue;
      const auto& m = stats_.nfs[i];
      const Label labels[] = {
          {"export", m.device}, {"mountaddr", addr(m)}, {"protocol", m.protocol}};
      age.add(labels, m.age_seconds);
      for (size_t j = 0; j < bytes.size(); ++j) {
        bytes[j]->add(labels, static_cast<double>(m.bytes[j]));
      }
      for (size_t j = 0; j < transport.size(); ++j) {
        uint64_t v = m.transport[kTransport[j].index];
        if (kTransport[j].index == 4) v %= kMantissaU;  // idle time
        transport[j]->add(labels, static_cast<double>(v));
      }
      for (uint32_t o = m.op_begin; o < m.op_begin + m.op_count; ++o) {
        const auto& op = stats_.operations[o];
        const Label op_labels[] = {{"export", m.device},
                                   {"mountaddr", addr(m)},
                                   {"operation", op.name},
                                   {"protocol", m.protocol}};  // sorted by name
        for (size_t j = 0; j < 5; ++j) ops[j]->add(op_labels, static_cast<double>(op.v[j]));
        for (size_t j = 5; j < 8; ++j) {
          ops[j]->add(op_labels, static_cast<double>(op.v[j] % kMantissaU) / 1000.0);
        }
      }
      for (size_t j = 0; j < events.size(); ++j) {
        events[j]->add(labels, static_cast<double>(m.events[kEvents[j].index]));
      }
    }
    if (!errors.empty()) throw_if_errors(stats_path_, errors);
    throw_if_errors(info_path_, info_errors);
  }

 private:
  std::string_view addr(const procfs::NfsMount& m) const {
    return m.index < addrs_.size() ? addrs_[m.index] : std::string_view();
  }

  std::string stats_path_, info_path_;
  FileReader stats_reader_{65536}, info_reader_{16384};
  procfs::Mountstats stats_;
  std::vector<std::string_view> addrs_;
  std::vector<size_t> order_;
  std::vector<bool> keep_;
};

}  // namespace

VITALS_COLLECTOR(MountstatsCollector, "mountstats", false,
                 "Exposes NFS client statistics per mount from /proc/self/mountstats.");

}  // namespace vitals
