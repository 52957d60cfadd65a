// conntrack: netfilter connection tracking table size and statistics (node_exporter 1.5.0
// names): /proc/sys/net/netfilter/nf_conntrack_{count,max} and /proc/net/stat/nf_conntrack.
#include "collectors/procfs/conntrack_stat.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kEntries{"node_nf_conntrack_entries",
                        "Number of currently allocated flow entries for connection tracking.",
                        MetricType::kGauge};
constexpr Desc kLimit{"node_nf_conntrack_entries_limit",
                      "Maximum size of connection tracking table.", MetricType::kGauge};
constexpr Desc kFound{"node_nf_conntrack_stat_found",
                      "Number of searched entries which were successful.", MetricType::kGauge};
constexpr Desc kInvalid{"node_nf_conntrack_stat_invalid",
                        "Number of packets seen which can not be tracked.", MetricType::kGauge};
constexpr Desc kIgnore{"node_nf_conntrack_stat_ignore",
                       "Number of packets seen which are already connected to a conntrack entry.",
                       MetricType::kGauge};
constexpr Desc kInsert{"node_nf_conntrack_stat_insert", "Number of entries inserted into the list.",
                       MetricType::kGauge};
constexpr Desc kInsertFailed{"node_nf_conntrack_stat_insert_failed",
                             "Number of entries for which list insertion was attempted but failed.",
                             MetricType::kGauge};
constexpr Desc kDrop{"node_nf_conntrack_stat_drop",
                     "Number of packets dropped due to conntrack failure.", MetricType::kGauge};
constexpr Desc kEarlyDrop{"node_nf_conntrack_stat_early_drop",
                          "Number of dropped conntrack entries to make room for new ones, if "
                          "maximum table size was reached.",
                          MetricType::kGauge};
constexpr Desc kSearchRestart{"node_nf_conntrack_stat_search_restart",
                              "Number of conntrack table lookups which had to be restarted due to "
                              "hashtable resizes.",
                              MetricType::kGauge};

class ConntrackCollector final : public Collector {
 public:
  explicit ConntrackCollector(const Paths& p)
      : count_(p.proc("sys/net/netfilter/nf_conntrack_count")),
        max_(p.proc("sys/net/netfilter/nf_conntrack_max")),
        stat_(p.proc("net/stat/nf_conntrack")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto count = read_number(reader_, count_);
    if (!count) throw CollectError(count_ + ": cannot read a number (conntrack not loaded?)");
    out.add(kEntries).add(*count);
    auto max = read_number(reader_, max_);
    if (!max) throw CollectError(max_ + ": cannot read a number");
    out.add(kLimit).add(*max);
    auto s = procfs::parse_conntrack_stat(reader_.read(stat_));
    auto emit = [&](const Desc& d, const std::optional<double>& v) {
      if (v) out.add(d).add(*v);
    };
    emit(kFound, s.found);
    emit(kInvalid, s.invalid);
    emit(kIgnore, s.ignore);
    emit(kInsert, s.insert);
    emit(kInsertFailed, s.insert_failed);
    emit(kDrop, s.drop);
    emit(kEarlyDrop, s.early_drop);
    emit(kSearchRestart, s.search_restart);
    throw_if_errors(stat_, s.errors);
  }

 private:
  std::string count_, max_, stat_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(ConntrackCollector, "conntrack", true,
                 "Shows conntrack stats (does nothing if no /proc/sys/net/netfilter/ present).");

}  // namespace vitals
