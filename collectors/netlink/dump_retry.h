// What every netlink dump in vitals (sock_diag in collectors/net/, rtnetlink and generic netlink
// here) does when the kernel's answer cannot be trusted: the dump is repeated from a clean state
// up to kDumpAttempts times while the fault is one that another try can cure, and the collector
// fails with a message naming the fault when it is not (or still is after the last try), so
// that no scrape ever publishes totals from a half or inconsistent dump. Every retry and every
// given-up dump is counted in vitals_netlink_dump_retries_total and
// vitals_netlink_dump_failures_total {collector,reason}.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/producer.h"

namespace vitals::netlink {

enum class DumpFault {
  // Retryable: the table changed or messages were lost while it was dumped.
  kInterrupted,  // NLM_F_DUMP_INTR on a message: the table changed during the dump
  kNoBuffers,    // recv() ENOBUFS, or the kernel ended the dump with -ENOBUFS: messages lost
  kBusy,         // the kernel ended the dump with -EBUSY, -EAGAIN or -EINTR
  // Not retryable: another try would get the same answer.
  kTruncated,  // MSG_TRUNC, or a message or attribute whose length runs past what was received
  kError,      // any other error (socket, kernel refusal, malformed reply)
  kDeadline,   // the collector deadline passed mid-dump
};

constexpr int kDumpAttempts = 3;

// "interrupted", "enobufs", "busy", "truncated", "error", "deadline": the reason label.
std::string_view fault_name(DumpFault f);
bool retryable(DumpFault f);
// The fault an errno (from recv() or the kernel's NLMSG_ERROR/NLMSG_DONE) stands for.
DumpFault fault_of_errno(int e);

// A dump that failed as a whole: a CollectError that says why, so the retry loop can decide.
class DumpError : public CollectError {
 public:
  DumpError(DumpFault f, const std::string& msg) : CollectError(msg), fault_(f) {}
  DumpFault fault() const { return fault_; }

 private:
  DumpFault fault_;
};

// Makes the collector's series (all 0) exist, so they are served from its first dump on.
void declare_dump_collector(std::string_view collector);
void count_dump_retry(std::string_view collector, DumpFault f);
void count_dump_failure(std::string_view collector, DumpFault f);
// The counters' current values (tests).
double dump_retries(std::string_view collector, DumpFault f);
double dump_failures(std::string_view collector, DumpFault f);

// vitals_netlink_dump_retries_total and vitals_netlink_dump_failures_total, process-wide (a
// reload makes new collectors; the counts go on), read when scraped (core/self_metrics.h).
std::shared_ptr<MetricProducer> netlink_dump_metrics();

// Runs attempt() (one whole dump or set of dumps, starting from a clean state each time: the
// callee resets whatever it accumulates) until it returns, at most kDumpAttempts times while it
// throws a retryable DumpError. Counts each retry and the failure that ends the loop; rethrows
// that failure, saying which attempt it ended when it was not the first.
template <class Fn>
void with_dump_retries(std::string_view collector, Fn&& attempt) {
  declare_dump_collector(collector);
  for (int i = 1;; ++i) {
    try {
      attempt();
      return;
    } catch (const DumpError& e) {
      const bool again = retryable(e.fault());
      if (again && i < kDumpAttempts) {
        count_dump_retry(collector, e.fault());
        continue;
      }
      count_dump_failure(collector, e.fault());
      if (i == 1) throw;
      throw DumpError(e.fault(), std::string(e.what()) + " (attempt " + std::to_string(i) + " of " +
                                     std::to_string(kDumpAttempts) + ")");
    }
  }
}

}  // namespace vitals::netlink
