// The pure cgroup v1/v2 interface file parsers (collectors/cgroup/) and the cgroup naming, one
// target for the family: the first byte picks the parser ('A' + index), the rest is the file's
// text (or, for naming, the cgroup path). One binary for the same reasons as procfs_fuzz.cpp.
// Checks: no exception; views point into the text; values the parsers promise hold (a limit is
// "max" or a number, the first pid belongs to a counted line, derived names are bounded).
#include <string>

#include "collectors/cgroup/files.h"
#include "collectors/cgroup/naming.h"
#include "collectors/procfs/pressure.h"
#include "core/parse.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace vitals;
using fuzz::inside;

void check_errors(const parse::ParseErrors& errors) {
  for (const parse::ItemError& e : errors) VITALS_FUZZ_CHECK(!e.message.empty());
  if (!errors.empty()) VITALS_FUZZ_CHECK(!errors.message("/sys/fs/cgroup/x").empty());
}

using Parser = void (*)(std::string_view);

const Parser kParsers[] = {
    // A: single-value files (memory.current, cpu.weight, cpuacct.usage, ...)
    [](std::string_view t) { (void)cgroup::parse_single(t); },
    // B: "max" or a number (memory.max, pids.max, ...)
    [](std::string_view t) {
      auto l = cgroup::parse_limit(t);
      if (l && l->unlimited) VITALS_FUZZ_CHECK(l->value == 0);
    },
    // C: cpu.max
    [](std::string_view t) { (void)cgroup::parse_cpu_max(t); },
    // D: nested keyed files (io.stat)
    [](std::string_view t) {
      cgroup::NestedKeyed n;
      cgroup::parse_nested_keyed(t, n);
      for (const auto& e : n.entries) VITALS_FUZZ_CHECK(inside(e.key, t) && inside(e.sub, t));
      check_errors(n.errors);
    },
    // E: v1 blkio recursive files
    [](std::string_view t) {
      cgroup::Blkio b;
      cgroup::parse_blkio(t, b);
      for (const auto& e : b.entries) VITALS_FUZZ_CHECK(inside(e.device, t) && inside(e.op, t));
      check_errors(b.errors);
    },
    // F: cgroup.procs, tasks
    [](std::string_view t) {
      auto p = cgroup::parse_procs(t);
      if (p.first_pid) VITALS_FUZZ_CHECK(p.count >= 1);
      check_errors(p.errors);
    },
    // G: flat keyed files (cpu.stat, memory.stat, memory.events, ...)
    [](std::string_view t) {
      parse::KeyValues kv;
      parse::parse_key_values(t, kv);
      for (const auto& e : kv.entries) VITALS_FUZZ_CHECK(inside(e.key, t));
      check_errors(kv.errors);
    },
    // H: pressure files (cpu.pressure, memory.pressure, io.pressure)
    [](std::string_view t) { check_errors(procfs::parse_pressure(t).errors); },
    // I: the name label derived from a cgroup path
    [](std::string_view t) {
      std::string n = cgroup::derive_name(t);
      VITALS_FUZZ_CHECK(n.size() <= t.size());
    },
};
constexpr size_t kCount = sizeof kParsers / sizeof kParsers[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  kParsers[vitals::fuzz::selector(data[0], kCount)](vitals::fuzz::as_text(data + 1, size - 1));
  return 0;
}
