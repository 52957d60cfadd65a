// timex: the kernel clock discipline state from adjtimex(2) (node_exporter 1.5.0 names).
#include <sys/timex.h>

#include <cerrno>
#include <cstring>

#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kSync{"node_timex_sync_status",
                     "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
                     MetricType::kGauge};
constexpr Desc kOffset{"node_timex_offset_seconds",
                       "Time offset in between local system and reference clock.",
                       MetricType::kGauge};
constexpr Desc kFreq{"node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.",
                     MetricType::kGauge};
constexpr Desc kMaxErr{"node_timex_maxerror_seconds", "Maximum error in seconds.",
                       MetricType::kGauge};
constexpr Desc kEstErr{"node_timex_estimated_error_seconds", "Estimated error in seconds.",
                       MetricType::kGauge};
constexpr Desc kStatus{"node_timex_status", "Value of the status array bits.", MetricType::kGauge};
constexpr Desc kConstant{"node_timex_loop_time_constant", "Phase-locked loop time constant.",
                         MetricType::kGauge};
constexpr Desc kTick{"node_timex_tick_seconds", "Seconds between clock ticks.", MetricType::kGauge};
constexpr Desc kPpsFreq{"node_timex_pps_frequency_hertz", "Pulse per second frequency.",
                        MetricType::kGauge};
constexpr Desc kPpsJitter{"node_timex_pps_jitter_seconds", "Pulse per second jitter.",
                          MetricType::kGauge};
constexpr Desc kPpsShift{"node_timex_pps_shift_seconds", "Pulse per second interval duration.",
                         MetricType::kGauge};
constexpr Desc kPpsStabil{"node_timex_pps_stability_hertz",
                          "Pulse per second stability, average of recent frequency changes.",
                          MetricType::kGauge};
constexpr Desc kPpsJitCnt{"node_timex_pps_jitter_total",
                          "Pulse per second count of jitter limit exceeded events.",
                          MetricType::kCounter};
constexpr Desc kPpsCalCnt{"node_timex_pps_calibration_total",
                          "Pulse per second count of calibration intervals.", MetricType::kCounter};
constexpr Desc kPpsErrCnt{"node_timex_pps_error_total",
                          "Pulse per second count of calibration errors.", MetricType::kCounter};
constexpr Desc kPpsStbCnt{"node_timex_pps_stability_exceeded_total",
                          "Pulse per second count of stability limit exceeded events.",
                          MetricType::kCounter};
constexpr Desc kTai{"node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.",
                    MetricType::kGauge};

// Frequencies are in ppm with a 16-bit fractional part.
constexpr double kPpm16Frac = 1000000.0 * 65536.0;

class TimexCollector final : public Collector {
 public:
  void collect(const CollectContext&, MetricSet& out) override {
    struct timex tx;
    std::memset(&tx, 0, sizeof tx);
    int state = ::adjtimex(&tx);
    if (state == -1) throw CollectError(std::string("adjtimex: ") + std::strerror(errno));
    // Offsets and jitter are in nanoseconds with STA_NANO, else microseconds.
    double divisor = (tx.status & STA_NANO) ? 1e9 : 1e6;
    out.add(kSync).add(state == TIME_ERROR ? 0 : 1);
    out.add(kOffset).add(double(tx.offset) / divisor);
    out.add(kFreq).add(1 + double(tx.freq) / kPpm16Frac);
    out.add(kMaxErr).add(double(tx.maxerror) / 1e6);
    out.add(kEstErr).add(double(tx.esterror) / 1e6);
    out.add(kStatus).add(double(tx.status));
    out.add(kConstant).add(double(tx.constant));
    out.add(kTick).add(double(tx.tick) / 1e6);
    out.add(kPpsFreq).add(double(tx.ppsfreq) / kPpm16Frac);
    out.add(kPpsJitter).add(double(tx.jitter) / divisor);
    out.add(kPpsShift).add(double(tx.shift));
    out.add(kPpsStabil).add(double(tx.stabil) / kPpm16Frac);
    out.add(kPpsJitCnt).add(double(tx.jitcnt));
    out.add(kPpsCalCnt).add(double(tx.calcnt));
    out.add(kPpsErrCnt).add(double(tx.errcnt));
    out.add(kPpsStbCnt).add(double(tx.stbcnt));
    out.add(kTai).add(double(tx.tai));
  }
};

}  // namespace

VITALS_COLLECTOR(TimexCollector, "timex", true, "Exposes selected adjtimex(2) system call stats.");

}  // namespace vitals
