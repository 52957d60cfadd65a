#include "collectors/netlink/dump_retry.h"

#include <array>
#include <cerrno>
#include <map>
#include <mutex>

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

void add_family(MetricSet& out, const Desc& d,
                const std::map<std::string, std::array<double, kFaults>, std::less<>>& m,
                bool only_retryable) {
  Family& f = out.add(d);
  for (const auto& [collector, counts] : m) {
    for (size_t i = 0; i < kFaults; ++i) {
      auto fault = static_cast<DumpFault>(i);
      if (only_retryable && !retryable(fault)) continue;
      f.add({{"collector", collector}, {"reason", fault_name(fault)}}, counts[i]);
    }
  }
}

constexpr Desc kRetriesDesc{
    "vitals_netlink_dump_retries_total",
    "Netlink dumps repeated because the attempt before was inconsistent, by collector and "
    "reason: interrupted (NLM_F_DUMP_INTR, the table changed during the dump), enobufs "
    "(messages lost), busy (EBUSY/EAGAIN/EINTR).",
    MetricType::kCounter};
constexpr Desc kFailuresDesc{
    "vitals_netlink_dump_failures_total",
    "Netlink dumps given up, failing the collector's run, by collector and reason: interrupted, "
    "enobufs, busy (still after 3 attempts), truncated (a message longer than what was "
    "received), error, deadline.",
    MetricType::kCounter};

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

std::shared_ptr<MetricProducer> netlink_dump_metrics() {
  return std::make_shared<FunctionProducer>([](MetricSet& out) {
    Stats& s = stats();
    std::lock_guard<std::mutex> lk(s.mu);
    add_family(out, kRetriesDesc, s.retries, true);
    add_family(out, kFailuresDesc, s.failures, false);
  });
}

}  // namespace vitals::netlink
