#include "collectors/netlink/dump_retry.h"

#include <array>
#include <cerrno>
#include <map>
#include <mutex>

#include "core/prometheus_cpp.h"

namespace vitals::netlink {
namespace {

constexpr size_t kFaults = static_cast<size_t>(DumpFault::kDeadline) + 1;

struct Stats {
  std::mutex mu;
  // By collector, by fault.
  std::map<std::string, std::array<double, kFaults>, std::less<>> retries, failures;
};

Stats& stats() {
  static Stats s;
  return s;
}

void bump(std::map<std::string, std::array<double, kFaults>, std::less<>>& m,
          std::string_view collector, DumpFault f) {
  auto it = m.find(collector);
  if (it == m.end()) it = m.emplace(std::string(collector), std::array<double, kFaults>{}).first;
  it->second[static_cast<size_t>(f)] += 1;
}

double value(const std::map<std::string, std::array<double, kFaults>, std::less<>>& m,
             std::string_view collector, DumpFault f) {
  auto it = m.find(collector);
  return it == m.end() ? 0 : it->second[static_cast<size_t>(f)];
}

prometheus::MetricFamily family(
    std::string name, std::string help,
    const std::map<std::string, std::array<double, kFaults>, std::less<>>& m, bool only_retryable) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Counter;
  for (const auto& [collector, counts] : m) {
    for (size_t i = 0; i < kFaults; ++i) {
      auto fault = static_cast<DumpFault>(i);
      if (only_retryable && !retryable(fault)) continue;
      prometheus::ClientMetric c;
      c.label.push_back({"collector", collector});
      c.label.push_back({"reason", std::string(fault_name(fault))});
      c.counter.value = counts[i];
      f.metric.push_back(std::move(c));
    }
  }
  return f;
}

}  // namespace

std::string_view fault_name(DumpFault f) {
  switch (f) {
    case DumpFault::kInterrupted:
      return "interrupted";
    case DumpFault::kNoBuffers:
      return "enobufs";
    case DumpFault::kBusy:
      return "busy";
    case DumpFault::kTruncated:
      return "truncated";
    case DumpFault::kError:
      return "error";
    case DumpFault::kDeadline:
      return "deadline";
  }
  return "error";
}

bool retryable(DumpFault f) {
  return f == DumpFault::kInterrupted || f == DumpFault::kNoBuffers || f == DumpFault::kBusy;
}

DumpFault fault_of_errno(int e) {
  switch (e) {
    case ENOBUFS:
      return DumpFault::kNoBuffers;
    case EBUSY:
    case EAGAIN:
    case EINTR:
      return DumpFault::kBusy;
    case EMSGSIZE:
      return DumpFault::kTruncated;
    default:
      return DumpFault::kError;
  }
}

void declare_dump_collector(std::string_view collector) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  for (auto* m : {&s.retries, &s.failures}) {
    if (m->find(collector) == m->end())
      m->emplace(std::string(collector), std::array<double, kFaults>{});
  }
}

void count_dump_retry(std::string_view collector, DumpFault f) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  bump(s.retries, collector, f);
}

void count_dump_failure(std::string_view collector, DumpFault f) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  bump(s.failures, collector, f);
}

double dump_retries(std::string_view collector, DumpFault f) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  return value(s.retries, collector, f);
}

double dump_failures(std::string_view collector, DumpFault f) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  return value(s.failures, collector, f);
}

std::shared_ptr<prometheus::Collectable> netlink_dump_metrics() {
  return std::make_shared<CallbackCollectable>([] {
    std::vector<prometheus::MetricFamily> v;
    Stats& s = stats();
    std::lock_guard<std::mutex> lk(s.mu);
    v.push_back(family("vitals_netlink_dump_retries_total",
                       "Netlink dumps repeated because the attempt before was inconsistent, by "
                       "collector and reason: interrupted (NLM_F_DUMP_INTR, the table changed "
                       "during the dump), enobufs (messages lost), busy (EBUSY/EAGAIN/EINTR).",
                       s.retries, true));
    v.push_back(family("vitals_netlink_dump_failures_total",
                       "Netlink dumps given up, failing the collector's run, by collector and "
                       "reason: interrupted, enobufs, busy (still after 3 attempts), truncated "
                       "(a message longer than what was received), error, deadline.",
                       s.failures, false));
    return v;
  });
}

}  // namespace vitals::netlink
