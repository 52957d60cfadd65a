// process-exporter's config file (its -config.path) for the process_groups collector:
// `process_names:`, a list of matchers, each with `comm:` (exact comm names), `exe:` (argv[0]:
// a name without '/' matches its basename, one with '/' must equal it), `cmdline:` (regexps,
// all of which must match the arguments joined by spaces; named groups fill .Matches) and a
// `name:` template (default "{{.ExeBase}}"). A process belongs to the first matcher that
// matches. Templates take process-exporter 0.7.10's fields by a small expander, not a Go
// template engine: {{.Comm}} {{.ExeBase}} {{.ExeFull}} {{.Username}} {{.PID}} {{.StartTime}}
// {{.Cgroups}} {{.Matches.NAME}}. Pure: text in, matcher out; no /proc access.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace vitals::pgroups {

// "FILE:LINE: message" (what() is the whole line).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the matchers and templates see of one process. Views into the caller's buffers.
struct ProcAttrs {
  std::string_view comm;
  std::string_view cmdline;  // /proc/<pid>/cmdline as read: arguments ended by NUL bytes
  int pid = 0;
  long long start_sec = 0;       // start time, seconds since the epoch ...
  long start_nsec = 0;           // ... and nanoseconds
  std::string_view username;     // only filled when Config::needs_username()
  std::string_view cgroup_file;  // /proc/<pid>/cgroup; only when Config::needs_cgroups()
};

// Go's filepath.Base ("" -> ".", trailing slashes dropped, all slashes -> "/").
std::string_view path_base(std::string_view p);
// Go's time.Time.String() in the local time zone: "2006-01-02 15:04:05.98 +0000 UTC".
std::string go_time_string(long long sec, long nsec);
// Go's fmt of the cgroup paths of a /proc/<pid>/cgroup file: "[/ /system.slice/x.service]".
std::string go_cgroups_string(std::string_view cgroup_file);

// The effective uid of a /proc/<pid>/status text (second number of its Uid: line), or -1.
double status_effective_uid(std::string_view status);
// /proc/<pid>/smaps_rollup (Linux 4.14+): Pss and SwapPss, in bytes (0 when absent).
struct SmapsRollup {
  double pss_bytes = 0;
  double swap_pss_bytes = 0;
};
SmapsRollup parse_smaps_rollup(std::string_view text);

class Config {
 public:
  struct Part {
    enum Kind { kText, kComm, kExeBase, kExeFull, kUsername, kPid, kStartTime, kCgroups, kMatch };
    Kind kind = kText;
    std::string text;  // literal text, or the capture name of kMatch
  };
  struct Matcher {
    int line = 0;  // of the list item, for messages
    bool has_comm = false, has_exe = false;
    std::set<std::string, std::less<>> comms;
    std::map<std::string, std::string, std::less<>> exes;  // basename -> full path or ""
    std::vector<std::shared_ptr<const re2::RE2>> cmdlines;
    std::vector<Part> name;
  };

  // Throws ConfigError. `file` names the text in messages.
  static Config parse(std::string_view text, const std::string& file);
  static Config load(const std::string& path);

  // Scratch space reused across calls (match allocates only while it grows).
  struct Scratch {
    std::string joined;
    std::vector<std::pair<std::string, std::string>> matches;
  };
  // The group of `p`: true and `*name` set when a matcher matches, false otherwise.
  bool match(const ProcAttrs& p, Scratch& s, std::string* name) const;

  bool needs_username() const { return needs_username_; }
  bool needs_cgroups() const { return needs_cgroups_; }
  bool needs_cmdline() const { return needs_cmdline_; }
  const std::vector<Matcher>& matchers() const { return matchers_; }

 private:
  std::vector<Matcher> matchers_;
  bool needs_username_ = false, needs_cgroups_ = false, needs_cmdline_ = false;
};

// Parses a name template; throws std::invalid_argument with the reason. `captures`: the named
// groups of the matcher's cmdline regexps ({{.Matches.X}} must name one of them).
std::vector<Config::Part> parse_template(std::string_view tmpl,
                                         const std::set<std::string, std::less<>>& captures);

}  // namespace vitals::pgroups
