// sockstat: socket counts per protocol and state from /proc/net/sockstat and /proc/net/sockstat6
// (node_exporter 1.5.0 names).
#include <unistd.h>

#include <cstring>

#include "collectors/name_cache.h"
#include "collectors/procfs/netmisc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

class SockstatCollector final : public Collector {
 public:
  explicit SockstatCollector(const Paths& p)
      : v4_(p.proc("net/sockstat")), v6_(p.proc("net/sockstat6")) {
    long ps = ::sysconf(_SC_PAGESIZE);
    page_size_ = ps > 0 ? double(ps) : 4096;
  }

  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    // IPv4 is required; a host without IPv6 has no sockstat6.
    emit(procfs::parse_sockstat(reader_.read(v4_)), v4_, out, errors);
    std::string_view text;
    int err = 0;
    if (reader_.try_read(v6_, &text, &err)) {
      emit(procfs::parse_sockstat(text), v6_, out, errors);
    } else if (err != ENOENT) {
      errors.add_file(v6_, std::string("read: ") + std::strerror(err));
    }
    throw_if_errors(v4_, errors);
  }

 private:
  void add(std::string_view proto, std::string_view key, double v, MetricSet& out) {
    key_.assign(proto);
    key_ += '_';
    key_.append(key);
    const auto& e = names_.get(key_, [&](NameCache::Entry& e) {
      if (proto == "sockets" && key == "used") {
        e.name = "node_sockstat_sockets_used";
        e.help = "Number of IPv4 sockets in use.";
      } else {
        e.name = "node_sockstat_" + key_;
        e.help = "Number of " + std::string(proto) + " sockets in state " + std::string(key) + ".";
      }
    });
    out.add(e.name, e.help, MetricType::kGauge).add(v);
  }

  void emit(const procfs::Sockstat& s, const std::string& path, MetricSet& out,
            parse::ParseErrors& errors) {
    for (const auto& v : s.values) {
      add(v.protocol, v.key, v.value, out);
      // "mem" is in pages; node_exporter adds it in bytes too.
      if (v.key == "mem") add(v.protocol, "mem_bytes", v.value * page_size_, out);
    }
    errors.append(path, s.errors);
  }

  std::string v4_, v6_;
  double page_size_;
  NameCache names_;
  std::string key_;
  FileReader reader_{1024};
};

}  // namespace

VITALS_COLLECTOR(SockstatCollector, "sockstat", true,
                 "Exposes various statistics from /proc/net/sockstat.");

}  // namespace vitals
