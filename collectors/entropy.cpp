// entropy: /proc/sys/kernel/random/{entropy_avail,poolsize} (node_exporter 1.5.0 names).
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kAvail{"node_entropy_available_bits", "Bits of available entropy.",
                      MetricType::kGauge};
constexpr Desc kPool{"node_entropy_pool_size_bits", "Bits of entropy pool.", MetricType::kGauge};

class EntropyCollector final : public Collector {
 public:
  explicit EntropyCollector(const Paths& p)
      : avail_(p.proc("sys/kernel/random/entropy_avail")),
        pool_(p.proc("sys/kernel/random/poolsize")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto a = read_number(reader_, avail_);
    if (!a) throw CollectError(avail_ + ": cannot read a number");
    out.add(kAvail).add(*a);
    // The pool size cannot change while the system runs.
    if (!pool_size_) pool_size_ = read_number(reader_, pool_);
    if (!pool_size_) throw CollectError(pool_ + ": cannot read a number");
    out.add(kPool).add(*pool_size_);
  }

 private:
  std::string avail_, pool_;
  std::optional<double> pool_size_;
  FileReader reader_{64};
};

}  // namespace

VITALS_COLLECTOR(EntropyCollector, "entropy", true, "Exposes available entropy.");

}  // namespace vitals
