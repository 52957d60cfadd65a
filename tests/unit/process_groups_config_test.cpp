// process_groups' config file: process-exporter 0.7.10's process_names matchers (comm, exe,
// cmdline), first-match semantics, its name templates, and one-line errors with file:line.
#include "collectors/process_groups/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>
#include <utility>
#include <vector>

namespace vitals::pgroups {
namespace {

using namespace std::string_literals;

struct Proc {
  Proc(std::string c, std::string cmd, int p = 42, std::string u = "alice", std::string cg = "")
      : comm(std::move(c)),
        cmdline(std::move(cmd)),
        pid(p),
        user(std::move(u)),
        cgroup(std::move(cg)) {}
  std::string comm;
  std::string cmdline;  // NUL-separated, as /proc/<pid>/cmdline
  int pid;
  std::string user;
  std::string cgroup;
};

// "" when no matcher matches.
std::string name_of(const Config& c, const Proc& p) {
  ProcAttrs a;
  a.comm = p.comm;
  a.cmdline = p.cmdline;
  a.pid = p.pid;
  a.start_sec = 1796038791;
  a.start_nsec = 980000000;
  a.username = p.user;
  a.cgroup_file = p.cgroup;
  Config::Scratch s;
  std::string name;
  return c.match(a, s, &name) ? name : "";
}

const std::string kSleep =
    "sleep\0"s
    "1234\0"s;
const std::string kPy =
    "/usr/bin/python3\0"s
    "-c\0"s
    "import x\0"s
    "--port\0"s
    "8080\0"s;
const std::string kPg = "postgres: 15/main: checkpointer \0"s;

TEST(ProcessGroupsConfig, MatchersAndTemplates) {
  const std::string yml = R"(process_names:
  - comm: [sleep]
  - name: "py:{{.Matches.port}}:{{ .ExeBase }}"
    exe: [python3]
    cmdline: ['--port\s+(?P<port>\d+)']
  - name: "{{.ExeFull}}/{{.Comm}}"
    exe: [/usr/lib/postgresql/15/bin/postgres]
  - name: "pg-{{.Matches.kind}}"
    cmdline: ['^postgres: (?P<ver>\S+) (?P<kind>\w+)', 'checkpointer']
  - name: "{{.Username}}|{{.PID}}|{{.Cgroups}}|{{.StartTime}}"
    comm: [special]
  - name: "kernel-{{.ExeBase}}"
    cmdline: ['^$']
)";
  setenv("TZ", "UTC", 1);
  tzset();
  Config c = Config::parse(yml, "t.yml");
  struct Case {
    Proc p;
    std::string want;
  } cases[] = {
      {{"sleep", kSleep}, "sleep"},  // default name {{.ExeBase}}
      {{"python3", kPy}, "py:8080:python3"},
      {{"python3", "/usr/bin/python3\0-c\0pass\0"s}, ""},  // cmdline regexp fails
      {{"postgres", "/usr/lib/postgresql/15/bin/postgres\0-D\0/x\0"s},
       "/usr/lib/postgresql/15/bin/postgres/postgres"},
      {{"postgres", "/usr/local/bin/postgres\0"s}, ""},  // exe with '/' must be exact
      {{"postgres", kPg}, "pg-checkpointer"},            // both regexps (AND)
      {{"special", "x\0"s, 7, "root", "1:cpu:/\n0::/system.slice/a.service\n"},
       "root|7|[/ /system.slice/a.service]|2026-11-30 11:39:51.98 +0000 UTC"},
      {{"kworker/0:1", ""}, "kernel-kworker/0:1"},  // no cmdline: ExeBase is the comm
      {{"bash", "bash\0"s}, ""},                    // unmatched: not reported
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(name_of(c, tc.p), tc.want) << tc.p.comm;
  }
  EXPECT_TRUE(c.needs_username());
  EXPECT_TRUE(c.needs_cgroups());
}

TEST(ProcessGroupsConfig, FirstMatchWins) {
  Config c = Config::parse(R"(process_names:
  - name: first
    comm: [sleep]
  - name: second
    cmdline: ['.*']
)",
                           "t.yml");
  EXPECT_EQ(name_of(c, {"sleep", kSleep}), "first");
  EXPECT_EQ(name_of(c, {"bash", "bash\0"s}), "second");
  EXPECT_EQ(name_of(c, {"kthreadd", ""}), "second");  // '.*' matches the empty cmdline
}

TEST(ProcessGroupsConfig, ExeBasenameAndHelpers) {
  Config c = Config::parse("process_names:\n  - exe: [sleep]\n    name: '{{.ExeFull}}'\n", "t");
  EXPECT_EQ(name_of(c, {"sleep",
                        "/bin/sleep\0"
                        "5\0"s}),
            "/bin/sleep");
  EXPECT_EQ(name_of(c, {"sleep", ""}), "");  // exe needs an argv[0]
  EXPECT_EQ(path_base("/usr/bin/"), "bin");
  EXPECT_EQ(path_base(""), ".");
  EXPECT_EQ(path_base("///"), "/");
  EXPECT_EQ(go_cgroups_string(""), "[]");
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(go_time_string(0, 0), "1970-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(go_time_string(1, 500000000), "1970-01-01 00:00:01.5 +0000 UTC");
}

TEST(ProcessGroupsConfig, BadFilesNameTheLine) {
  struct Case {
    std::string yml;
    std::string want;  // the start of the message
  } cases[] = {
      {"process_names:\n  - name: x\n", "t.yml:2: no matchers provided"},
      {"process_names:\n  - comm: [a]\n    name: '{{.Nope}}'\n",
       "t.yml:3: bad name template \"{{.Nope}}\": {{.Nope}}: unknown field"},
      {"process_names:\n  - comm: [a]\n    name: '{{.Matches.x}}'\n",
       "t.yml:3: bad name template \"{{.Matches.x}}\": {{.Matches.x}}: no cmdline regexp"},
      {"process_names:\n  - comm: [a]\n    name: '{{if .Comm}}x{{end}}'\n",
       "t.yml:3: bad name template"},
      {"process_names:\n  - comm: [a]\n    name: '{{.Comm'\n", "t.yml:3: bad name template"},
      {"process_names:\n  - comm: [a]\n\n  - cmdline: ['(unclosed']\n",
       "t.yml:4: bad cmdline regex \"(unclosed\""},
      {"process_names:\n  - comm: a\n", "t.yml:2: comm: expected a list of strings"},
      {"process_names:\n  - comm: [a]\n    cmdlines: [b]\n", "t.yml:3: unknown key \"cmdlines\""},
      {"process_name:\n  - comm: [a]\n", "t.yml:1: unknown key \"process_name\""},
      {"process_names: [\n", "t.yml:2: "},  // YAML syntax error
      {"process_names:\n", "t.yml:1: no process_names"},
      {"- a\n", "t.yml:1: expected a map"},
  };
  for (const auto& tc : cases) {
    try {
      Config::parse(tc.yml, "t.yml");
      ADD_FAILURE() << "accepted: " << tc.yml;
    } catch (const ConfigError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.substr(0, tc.want.size()), tc.want) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(ProcessGroupsConfig, StatusUidAndSmapsRollup) {
  EXPECT_EQ(status_effective_uid("Name:\tx\nUid:\t1000\t33\t1000\t1000\nGid:\t5\n"), 33);
  EXPECT_EQ(status_effective_uid("Name:\tx\n"), -1);
  auto r = parse_smaps_rollup(
      "55d0c0a00000-7ffd5b1f6000 ---p 00000000 00:00 0      [rollup]\nRss:  1000 kB\n"
      "Pss:                 203 kB\nPss_Anon:  100 kB\nSwap:  8 kB\nSwapPss:   4 kB\n");
  EXPECT_EQ(r.pss_bytes, 203 * 1024);
  EXPECT_EQ(r.swap_pss_bytes, 4 * 1024);
  EXPECT_EQ(parse_smaps_rollup("").pss_bytes, 0);
}

TEST(ProcessGroupsConfig, MissingFile) {
  EXPECT_THROW(Config::load("/nonexistent/pe.yml"), ConfigError);
}

}  // namespace
}  // namespace vitals::pgroups
