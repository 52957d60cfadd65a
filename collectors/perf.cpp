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

#include <algorithm>
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

// Every counter is read as a group (PERF_FORMAT_GROUP). The software events of a CPU share one
// group, so one read (one cross-CPU call in the kernel) returns all of them; a hardware, cache or
// tracepoint event is a group of its own, as a group is only counted when all of its events fit
// on the PMU at once.
int perf_open(uint32_t type, uint64_t config, int cpu, int group_fd) {
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = type;
  attr.config = config;
  attr.exclude_hv = 1;
  attr.read_format =
      PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return static_cast<int>(
      ::syscall(SYS_perf_event_open, &attr, -1, cpu, group_fd, PERF_FLAG_FD_CLOEXEC));
}

struct Group {
  explicit Group(std::string c) : cpu(std::move(c)) {}
  std::string cpu;
  int leader = -1;
  std::vector<int> fds;          // leader first, then members in the order they were opened
  std::vector<size_t> families;  // index into families_, one per fd, in the same order
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
      Group software(label);
      for (size_t i = 0; i < std::size(kEvents); ++i) {
        if (kEvents[i].type == PERF_TYPE_SOFTWARE) {
          c->add(software, i, kEvents[i].type, kEvents[i].config, cpu, false);
        } else {
          Group single(label);
          c->add(single, i, kEvents[i].type, kEvents[i].config, cpu, false);
          c->keep(std::move(single));
        }
      }
      c->keep(std::move(software));
      for (size_t i = 0; i < c->tracepoints_.size(); ++i) {
        // node_exporter refuses to start when a tracepoint cannot be opened.
        Group single(label);
        c->add(single, std::size(kEvents) + i, PERF_TYPE_TRACEPOINT, c->tracepoints_[i], cpu, true);
        c->keep(std::move(single));
      }
    }
    return c;
  }

  ~PerfCollector() override {
    for (const auto& g : groups_) {
      for (int fd : g.fds) ::close(fd);
    }
  }

  void collect(const CollectContext&, MetricSet& out) override {
    if (groups_.empty()) {
      throw CollectError("perf_event_open: no event could be opened (first error: " + first_error_ +
                         ")");
    }
    parse::ParseErrors errors;
    std::vector<Family*> fams(families_.size(), nullptr);
    for (const auto& g : groups_) {
      // nr, time enabled, time running, then one value per event of the group.
      const size_t n = g.fds.size();
      const auto want = static_cast<ssize_t>((3 + n) * sizeof(uint64_t));
      values_[0] = 0;
      const ssize_t got = ::read(g.leader, values_.data(), static_cast<size_t>(want));
      if (got != want || values_[0] != n) {
        std::string why = got < 0 ? std::strerror(errno)
                                  : "group read of " + std::to_string(got) + " bytes, " +
                                        std::to_string(values_[0]) + " events (want " +
                                        std::to_string(n) + ")";
        for (size_t f : g.families) {
          errors.add_file(std::string(families_[f].name) + "{cpu=" + g.cpu + "}", why);
        }
        continue;
      }
      for (size_t k = 0; k < n; ++k) {
        size_t f = g.families[k];
        if (!fams[f]) fams[f] = &out.add(families_[f]);
        fams[f]->add({{"cpu", g.cpu}}, static_cast<double>(values_[3 + k]));
      }
    }
    throw_if_errors("perf", errors);
  }

 private:
  // Opens one event into `g` (as its leader when it has none yet).
  void add(Group& g, size_t family, uint32_t type, uint64_t config, int cpu, bool required) {
    int fd = perf_open(type, config, cpu, g.leader);
    if (fd < 0) {
      std::string what =
          std::string(families_[family].name) + " on CPU " + g.cpu + ": " + std::strerror(errno);
      if (required) throw std::invalid_argument("perf_event_open: " + what);
      if (first_error_.empty()) first_error_ = what;
      return;
    }
    if (g.leader < 0) g.leader = fd;
    g.fds.push_back(fd);
    g.families.push_back(family);
  }

  void keep(Group g) {
    if (g.leader < 0) return;
    ::ioctl(g.leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
    ::ioctl(g.leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
    values_.resize(std::max(values_.size(), 3 + g.fds.size()));
    groups_.push_back(std::move(g));
  }

  std::vector<Desc> families_;
  std::vector<std::string> names_, helps_;  // the tracepoints' (families_ points into them)
  std::vector<uint64_t> tracepoints_;
  std::vector<Group> groups_;
  std::vector<uint64_t> values_;  // one group's read
  std::string first_error_;
};

}  // namespace

VITALS_COLLECTOR(
    PerfCollector, "perf", false,
    "Exposes perf_event_open(2) hardware, software, cache and tracepoint counters per CPU.",
    {{"cpus", OptionKind::kString, "", "List of CPUs from which perf metrics should be collected."},
     {"tracepoint", OptionKind::kStrings, "", "perf tracepoint that should be collected."}});

}  // namespace vitals
