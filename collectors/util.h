// Small helpers shared by collectors.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/procfs/pid_files.h"
#include "core/collector.h"
#include "core/fs.h"
#include "core/parse.h"
#include "core/regex.h"

namespace vitals {

// After a collector has emitted what parsed, reports the items that did not: the scrape keeps
// the good values and the collector shows as failed with "PATH:LINE: message (and N more)"
// (see core/collector.h for the rule). The one way collectors report bad input.
inline void throw_if_errors(std::string_view path, const parse::ParseErrors& errors) {
  if (!errors.empty()) throw CollectError(errors.message(path));
}

// A per-process or per-cgroup file that is gone (the process exited, the cgroup was removed
// between listing and reading it): normal, not an error.
inline bool vanished(int err) {
  return err == ENOENT || err == ESRCH;
}

// Not ours to read: the agent lacks a permission or capability (docs/privileges.md). Such an
// item is skipped and counted with CollectContext::permission_denied, not an item error.
inline bool denied(int err) {
  return err == EACCES || err == EPERM;
}

// Reads and parses the /proc/<pid>/stat at `path` the one way processes and process_groups
// treat it: nullopt when the process has gone since the listing (silently), or when the file
// cannot be read or does not parse (an item error naming `path` in `errors`). `scratch` is the
// caller's reused list for the parser's errors. The result's comm points into `r`'s buffer.
inline std::optional<procfs::PidStat> read_pid_stat(FileReader& r, const std::string& path,
                                                    parse::ParseErrors& scratch,
                                                    parse::ParseErrors& errors) {
  std::string_view text;
  int err = 0;
  if (!r.try_read(path, &text, &err)) {
    if (!vanished(err)) errors.add_file(path, std::strerror(err));
    return std::nullopt;
  }
  scratch.clear();
  auto st = procfs::parse_pid_stat(text, scratch);
  if (!st) errors.append(path, scratch);
  return st;
}

// node_exporter's device include/exclude semantics: with an include pattern only matching
// names pass; otherwise names matching the exclude pattern are dropped. Empty patterns are
// unset. Patterns are Go regexps matched as MatchString does (anywhere in the name, unless the
// pattern anchors itself with ^...$).
class DeviceFilter {
 public:
  DeviceFilter() = default;
  DeviceFilter(const std::string& include, const std::string& exclude) {
    if (!include.empty()) include_ = Regex(include);
    if (!exclude.empty()) exclude_ = Regex(exclude);
  }
  bool ignored(std::string_view name) const {
    if (include_) return !include_.search(name);
    if (exclude_) return exclude_.search(name);
    return false;
  }

 private:
  Regex include_;
  Regex exclude_;
};

// Reads a one-value sysfs/procfs file (trailing newline trimmed). nullopt when it cannot be
// read; `errno_out` (when given) says why.
inline std::optional<std::string_view> read_value(FileReader& r, const std::string& path,
                                                  int* errno_out = nullptr) {
  std::string_view v;
  int err = 0;
  if (!r.try_read(path, &v, &err)) {
    if (errno_out) *errno_out = err;
    return std::nullopt;
  }
  return parse::trim(v);
}

// Reads a whole kernel file whose absence means the facility is not there (module not loaded):
// nullopt when it does not exist; any other failure throws CollectError naming the file.
inline std::optional<std::string_view> read_if_present(FileReader& r, const std::string& path) {
  std::string_view text;
  int err = 0;
  if (r.try_read(path, &text, &err)) return text;
  if (err == ENOENT) return std::nullopt;
  throw CollectError("read " + path + ": " + std::strerror(err));
}

inline std::optional<double> read_number(FileReader& r, const std::string& path) {
  auto v = read_value(r, path);
  if (!v) return std::nullopt;
  return parse::to_double(*v);
}

}  // namespace vitals
