// netstat: network statistics from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6, as
// node_netstat_<Protocol>_<Field>, filtered by --collector.netstat.fields (node_exporter 1.5.0
// names and default).
#include <cstring>

#include "collectors/name_cache.h"
#include "collectors/procfs/netstat.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr std::string_view kDefaultFields =
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
    "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|"
    "OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|"
    "RcvbufErrors|SndbufErrors))$";

class NetstatCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  NetstatCollector(const Paths& p, const std::string& fields)
      : netstat_(p.proc("net/netstat")),
        snmp_(p.proc("net/snmp")),
        snmp6_(p.proc("net/snmp6")),
        names_(Regex(fields)) {}

  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    stats_.values.clear();
    stats_.errors.clear();
    // Each parse keeps views into the text, so each file is emitted before the next is read.
    procfs::parse_netstat(reader_.read(netstat_), &stats_);
    emit(0, out);
    note_errors(netstat_, errors);
    procfs::parse_netstat(reader_.read(snmp_), &stats_);
    emit(1, out);
    note_errors(snmp_, errors);
    std::string_view text;
    int err = 0;
    if (reader_.try_read(snmp6_, &text, &err)) {
      procfs::parse_snmp6(text, &stats_);
      emit(2, out);
      note_errors(snmp6_, errors);
    } else if (err != ENOENT) {  // no IPv6 on this host is not an error
      errors.add_file(snmp6_, std::string("read: ") + std::strerror(err));
    }
    throw_if_errors(netstat_, errors);
  }

 private:
  // Each file's item errors, under its own path; stats_ is reused for the next file.
  void note_errors(const std::string& path, parse::ParseErrors& errors) {
    errors.append(path, stats_.errors);
    stats_.errors.clear();
  }

  // `file` picks the FieldOrder of the file just parsed (0 netstat, 1 snmp, 2 snmp6).
  void emit(size_t file, MetricSet& out) {
    FieldOrder& order = orders_[file];
    order.begin();
    for (const auto& v : stats_.values) {
      order.add(v.protocol);
      order.add(v.name);
    }
    order.resolve(stats_.values.size(), [&](size_t i) -> const NameCache::Entry& {
      const auto& v = stats_.values[i];
      key_.assign(v.protocol);
      key_ += '_';
      key_.append(v.name);
      return names_.get(key_, [&](NameCache::Entry& e) {
        e.name = "node_netstat_" + key_;
        e.help = "Statistic " + std::string(v.protocol) + std::string(v.name) + ".";
      });
    });
    for (size_t i = 0; i < stats_.values.size(); ++i) {
      if (const NameCache::Entry* e = order.at(i)) {
        out.add(e->name, e->help, MetricType::kUntyped).add(stats_.values[i].value);
      }
    }
    stats_.values.clear();
  }

  std::string netstat_, snmp_, snmp6_;
  NameCache names_;
  FieldOrder orders_[3];
  procfs::NetStats stats_;
  std::string key_;
  FileReader reader_{16384};
};

std::unique_ptr<Collector> NetstatCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<NetstatCollector>(p, o.str("fields"));
}

}  // namespace

VITALS_COLLECTOR(NetstatCollector, "netstat", true,
                 "Exposes network statistics from /proc/net/netstat.",
                 {{"fields", OptionKind::kRegex, std::string(kDefaultFields),
                   "Regexp of fields to return for netstat "
                   "collector."}});

}  // namespace vitals
