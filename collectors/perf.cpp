// perf: node_perf_* per CPU from perf_event_open(2) counters (pid -1: every process on the
// CPU), as node_exporter 1.5.0 does: its software, hardware and hardware-cache events, and the
// tracepoints of --collector.perf.tracepoint. An event the kernel refuses (hardware counters in
// a VM or container, a CPU that is offline) is left out, as node_exporter leaves it out; the
// collector fails only when no event at all could be opened.
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "collectors/services/perf_cpus.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct Event {
  uint32_t type;
  uint64_t config;
  Desc desc;
};

constexpr uint64_t cache(uint64_t id, uint64_t op, uint64_t result) {
  return id | (op << 8) | (result << 16);
}

constexpr MetricType C = MetricType::kCounter;
constexpr uint64_t kRead = PERF_COUNT_HW_CACHE_OP_READ;
constexpr uint64_t kWrite = PERF_COUNT_HW_CACHE_OP_WRITE;
constexpr uint64_t kAccess = PERF_COUNT_HW_CACHE_RESULT_ACCESS;
constexpr uint64_t kMiss = PERF_COUNT_HW_CACHE_RESULT_MISS;

// node_exporter 1.5.0's events, names and help texts.
const Event kEvents[] = {
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CPU_CYCLES,
     {"node_perf_cpucycles_total", "Number of CPU cycles (frequency scaled)", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_INSTRUCTIONS,
     {"node_perf_instructions_total", "Number of CPU instructions", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
     {"node_perf_branch_instructions_total", "Number of CPU branch instructions", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_BRANCH_MISSES,
     {"node_perf_branch_misses_total", "Number of CPU branch misses", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_REFERENCES,
     {"node_perf_cache_refs_total", "Number of cache references (non frequency scaled)", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_MISSES,
     {"node_perf_cache_misses_total", "Number of cache misses", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_REF_CPU_CYCLES,
     {"node_perf_ref_cpucycles_total", "Number of CPU cycles", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_BACKEND,
     {"node_perf_stalled_cycles_backend_total", "Number of stalled backend CPU cycles", C}},
    {PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_FRONTEND,
     {"node_perf_stalled_cycles_frontend_total", "Number of stalled frontend CPU cycles", C}},
    {PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS,
     {"node_perf_page_faults_total", "Number of page faults", C}},
    {PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CONTEXT_SWITCHES,
     {"node_perf_context_switches_total", "Number of context switches", C}},
    {PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CPU_MIGRATIONS,
     {"node_perf_cpu_migrations_total", "Number of CPU process migrations", C}},
    {PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS_MIN,
     {"node_perf_minor_faults_total", "Number of minor page faults", C}},
    {PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS_MAJ,
     {"node_perf_major_faults_total", "Number of major page faults", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_L1D, kRead, kAccess),
     {"node_perf_cache_l1d_read_hits_total", "Number L1 data cache read hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_L1D, kRead, kMiss),
     {"node_perf_cache_l1d_read_misses_total", "Number L1 data cache read misses", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_L1D, kWrite, kAccess),
     {"node_perf_cache_l1d_write_hits_total", "Number L1 data cache write hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_L1I, kRead, kMiss),
     {"node_perf_cache_l1_instr_read_misses_total", "Number instruction L1 instruction read misses",
      C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_ITLB, kRead, kAccess),
     {"node_perf_cache_tlb_instr_read_hits_total", "Number instruction TLB read hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_ITLB, kRead, kMiss),
     {"node_perf_cache_tlb_instr_read_misses_total", "Number instruction TLB read misses", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_LL, kRead, kAccess),
     {"node_perf_cache_ll_read_hits_total", "Number last level read hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_LL, kRead, kMiss),
     {"node_perf_cache_ll_read_misses_total", "Number last level read misses", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_LL, kWrite, kAccess),
     {"node_perf_cache_ll_write_hits_total", "Number last level write hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_LL, kWrite, kMiss),
     {"node_perf_cache_ll_write_misses_total", "Number last level write misses", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_BPU, kRead, kAccess),
     {"node_perf_cache_bpu_read_hits_total", "Number BPU read hits", C}},
    {PERF_TYPE_HW_CACHE,
     cache(PERF_COUNT_HW_CACHE_BPU, kRead, kMiss),
     {"node_perf_cache_bpu_read_misses_total", "Number BPU read misses", C}},
};

int perf_open(uint32_t type, uint64_t config, int cpu) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = type;
  attr.config = config;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return static_cast<int>(::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

struct Counter {
  size_t family;  // index into families_
  std::string cpu;
  int fd;
};

class PerfCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p) {
    std::string error;
    auto cpus = perf::parse_cpus(o.str("cpus"), &error);
    if (!cpus) throw std::invalid_argument("--collector.perf.cpus: " + error);
    if (o.str("cpus").empty()) {
      // node_exporter: CPUs 0 .. runtime.NumCPU()-1 (the CPUs this process may run on).
      cpu_set_t set;
      int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
      for (int i = 0; i < n; ++i) cpus->push_back(i);
    }
    auto c = std::make_unique<PerfCollector>();
    for (const auto& e : kEvents) c->families_.push_back(e.desc);
    for (const auto& t : o.strs("tracepoint")) {
      auto tp = perf::parse_tracepoint(t, &error);
      if (!tp) throw std::invalid_argument("--collector.perf.tracepoint: " + error);
      auto id = perf::tracepoint_id(p, *tp, &error);
      if (!id) throw std::invalid_argument("--collector.perf.tracepoint: " + error);
      c->names_.push_back("node_perf_" + tp->subsystem + "_" + tp->event);
      c->helps_.push_back("Perf tracepoint " + tp->subsystem + ":" + tp->event);
      c->tracepoints_.push_back(*id);
    }
    for (size_t i = 0; i < c->names_.size(); ++i) {
      c->families_.push_back({c->names_[i], c->helps_[i], C});
    }
    for (int cpu : *cpus) {
      std::string label = std::to_string(cpu);
      for (size_t i = 0; i < std::size(kEvents); ++i) {
        c->add(i, kEvents[i].type, kEvents[i].config, cpu, label, false);
      }
      for (size_t i = 0; i < c->tracepoints_.size(); ++i) {
        // node_exporter refuses to start when a tracepoint cannot be opened.
        c->add(std::size(kEvents) + i, PERF_TYPE_TRACEPOINT, c->tracepoints_[i], cpu, label, true);
      }
    }
    return c;
  }

  ~PerfCollector() override {
    for (const auto& c : counters_) ::close(c.fd);
  }

  void collect(const CollectContext&, MetricSet& out) override {
    if (counters_.empty()) {
      throw CollectError("perf_event_open: no event could be opened (first error: " + first_error_ +
                         ")");
    }
    parse::ParseErrors errors;
    std::vector<Family*> fams(families_.size(), nullptr);
    for (const auto& c : counters_) {
      uint64_t v[3];  // value, time enabled, time running
      if (::read(c.fd, v, sizeof v) != static_cast<ssize_t>(sizeof v)) {
        errors.add_file(std::string(families_[c.family].name) + "{cpu=" + c.cpu + "}",
                        std::strerror(errno));
        continue;
      }
      if (!fams[c.family]) fams[c.family] = &out.add(families_[c.family]);
      fams[c.family]->add({{"cpu", c.cpu}}, static_cast<double>(v[0]));
    }
    throw_if_errors("perf", errors);
  }

 private:
  void add(size_t family, uint32_t type, uint64_t config, int cpu, const std::string& label,
           bool required) {
    int fd = perf_open(type, config, cpu);
    if (fd < 0) {
      std::string what =
          std::string(families_[family].name) + " on CPU " + label + ": " + std::strerror(errno);
      if (required) throw std::invalid_argument("perf_event_open: " + what);
      if (first_error_.empty()) first_error_ = what;
      return;
    }
    ::ioctl(fd, PERF_EVENT_IOC_RESET, 0);
    ::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    counters_.push_back({family, label, fd});
  }

  std::vector<Desc> families_;
  std::vector<std::string> names_, helps_;  // the tracepoints' (families_ points into them)
  std::vector<uint64_t> tracepoints_;
  std::vector<Counter> counters_;
  std::string first_error_;
};

}  // namespace

VITALS_COLLECTOR(
    PerfCollector, "perf", false,
    "Exposes perf_event_open(2) hardware, software, cache and tracepoint counters per CPU.",
    {{"cpus", OptionKind::kString, "", "List of CPUs from which perf metrics should be collected."},
     {"tracepoint", OptionKind::kStrings, "", "perf tracepoint that should be collected."}});

}  // namespace vitals
