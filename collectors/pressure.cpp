// pressure: pressure stall information from /proc/pressure/{cpu,io,memory} (node_exporter 1.5.0
// names).
#include <cstring>

#include "collectors/procfs/pressure.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kCpuWaiting{"node_pressure_cpu_waiting_seconds_total",
                           "Total time in seconds that processes have waited for CPU time",
                           MetricType::kCounter};
constexpr Desc kIoWaiting{"node_pressure_io_waiting_seconds_total",
                          "Total time in seconds that processes have waited due to IO congestion",
                          MetricType::kCounter};
constexpr Desc kIoStalled{
    "node_pressure_io_stalled_seconds_total",
    "Total time in seconds no process could make progress due to IO congestion",
    MetricType::kCounter};
constexpr Desc kMemWaiting{"node_pressure_memory_waiting_seconds_total",
                           "Total time in seconds that processes have waited for memory",
                           MetricType::kCounter};
constexpr Desc kMemStalled{
    "node_pressure_memory_stalled_seconds_total",
    "Total time in seconds no process could make progress due to memory congestion",
    MetricType::kCounter};

class PressureCollector final : public Collector {
 public:
  explicit PressureCollector(const Paths& p)
      : cpu_(p.proc("pressure/cpu")), io_(p.proc("pressure/io")), mem_(p.proc("pressure/memory")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    auto read = [&](const std::string& path) -> procfs::Pressure {
      std::string_view text;
      int err = 0;
      if (!reader_.try_read(path, &text, &err)) {
        // Kernels without PSI (or booted with psi=0) have no such files.
        throw CollectError("read " + path + ": " + std::strerror(err) +
                           " (pressure stall information unsupported?)");
      }
      auto p = procfs::parse_pressure(text);
      errors.append(path, p.errors);
      return p;
    };
    auto emit = [&](const Desc& d, const std::optional<double>& us) {
      if (us) out.add(d).add(*us / 1e6);
    };
    auto cpu = read(cpu_);
    emit(kCpuWaiting, cpu.some_total_us);
    auto io = read(io_);
    emit(kIoWaiting, io.some_total_us);
    emit(kIoStalled, io.full_total_us);
    auto mem = read(mem_);
    emit(kMemWaiting, mem.some_total_us);
    emit(kMemStalled, mem.full_total_us);
    throw_if_errors(cpu_, errors);
  }

 private:
  std::string cpu_, io_, mem_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(PressureCollector, "pressure", true,
                 "Exposes pressure stall statistics from /proc/pressure/.");

}  // namespace vitals
