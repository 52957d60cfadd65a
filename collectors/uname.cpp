// uname: node_uname_info from uname(2) (node_exporter 1.5.0 names). The call costs no file
// reads, and the host name can change at run time, so it runs on every scrape.
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>

#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_uname_info",
                     "Labeled system information as provided by the uname system call.",
                     MetricType::kGauge};

class UnameCollector final : public Collector {
 public:
  void collect(const CollectContext&, MetricSet& out) override {
    struct utsname u;
    if (::uname(&u) != 0) throw CollectError(std::string("uname: ") + std::strerror(errno));
    out.add(kInfo).add({{"sysname", u.sysname},
                        {"release", u.release},
                        {"version", u.version},
                        {"machine", u.machine},
                        {"nodename", u.nodename},
                        {"domainname", u.domainname}},
                       1);
  }
};

}  // namespace

VITALS_COLLECTOR(UnameCollector, "uname", true,
                 "Exposes system information as provided by the uname system call.");

}  // namespace vitals
