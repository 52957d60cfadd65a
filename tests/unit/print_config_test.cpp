// --print-config: the config file the Debian package installs as /etc/vitals/vitals.conf.
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/config.h"
#include "tests/unit/parse_args.h"

namespace vitals {
namespace {

TEST(PrintConfig, EveryFlagCommentedOutWithItsHelp) {
  auto r = parse_args({"--print-config"});
  ASSERT_EQ(r.action, ConfigResult::kHelp);
  const std::string& conf = r.text;
  auto help = parse_args({"--help"}).text;
  // Every long flag of --help but the actions and the negations is a "#key =" line.
  const RE2 flag(R"(^  (?:-\w \[ )?--([\w.\-]+))");
  int n = 0;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::string name;
    if (!RE2::PartialMatch(line, flag, &name)) continue;
    bool action = name == "help" || name == "version" || name == "list-collectors" ||
                  name == "print-config" || name == "config.file";
    bool listed = conf.find("\n#" + name + " =") != std::string::npos;
    if (action || name.rfind("no-", 0) == 0) {
      EXPECT_FALSE(listed) << name;
    } else {
      EXPECT_TRUE(listed) << name;
      ++n;
    }
  }
  EXPECT_GT(n, 100);
  EXPECT_NE(conf.find("\n#web.listen-address = :9100\n"), std::string::npos);
  EXPECT_NE(conf.find("\n#web.disable-exporter-metrics = false\n"), std::string::npos);
  EXPECT_NE(conf.find("\n#collector.cpu = true\n"), std::string::npos);
  EXPECT_NE(conf.find("\n#collector.cpu.info = false\n"), std::string::npos);
  EXPECT_NE(conf.find("\n#collector.timeout = 5s\n"), std::string::npos);
  EXPECT_NE(conf.find("\n# Set all collectors to disabled by default.\n"
                      "#collector.disable-defaults = false\n"),
            std::string::npos);
  // Wrapped at 98 columns ("# " and the help) unless a single word is longer.
  std::istringstream all(conf);
  for (std::string line; std::getline(all, line);) {
    if (line.rfind("# ", 0) == 0 && line.find(' ', 2) != std::string::npos) {
      EXPECT_LE(line.size(), 98u) << line;
    }
  }
}

TEST(PrintConfig, AsGivenItIsTheDefaults) {
  // The file as printed (everything commented out) and with every valued line uncommented
  // both parse to the defaults' collector set and options.
  std::string conf = parse_args({"--print-config"}).text;
  std::string uncommented;
  std::istringstream lines(conf);
  const RE2 valued(R"(#([a-z][\w.\-]* = .+))");
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    std::string kv;
    if (RE2::FullMatch(line, valued, &kv)) {
      uncommented += kv + "\n";
      ++n;
    }
  }
  EXPECT_GT(n, 50);
  auto defaults = parse_args({});
  ASSERT_EQ(defaults.action, ConfigResult::kRun);
  for (const std::string& text : {conf, uncommented}) {
    char path[] = "/tmp/vitals-print-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << text;
    auto r = parse_args({std::string("--config.file=") + path});
    std::remove(path);
    ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
    EXPECT_EQ(r.config.enabled_collectors, defaults.config.enabled_collectors);
    EXPECT_EQ(r.config.listen_addresses, defaults.config.listen_addresses);
    EXPECT_EQ(r.config.collector_timeout, defaults.config.collector_timeout);
    EXPECT_TRUE(r.config.module_options.at("apm") == defaults.config.module_options.at("apm"))
        << "apm";
    for (const auto& [name, opts] : defaults.config.collector_options) {
      EXPECT_TRUE(r.config.collector_options.at(name) == opts) << name;
    }
  }
}

}  // namespace
}  // namespace vitals
