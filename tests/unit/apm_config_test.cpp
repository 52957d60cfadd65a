#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "apm/options.h"
#include "core/config.h"
#include "tests/unit/parse_args.h"

namespace vitals {
namespace {

TEST(ApmConfig, Defaults) {
  auto r = parse_args({});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  const apm::ApmConfig a = apm::apm_config(r.config);
  EXPECT_EQ(a.otlp_listen_address, "localhost:4318");
  EXPECT_EQ(a.zipkin_listen_address, "localhost:9411");
  EXPECT_TRUE(a.otlp_address_default);
  EXPECT_TRUE(a.zipkin_address_default);
  EXPECT_EQ(a.otlp_grpc_listen_address, "localhost:4317");
  EXPECT_TRUE(a.otlp_grpc_address_default);
  EXPECT_EQ(a.max_connections, 32);
  EXPECT_EQ(a.max_connections_per_source, 16);
  EXPECT_EQ(a.read_header_timeout_ms, 5000);
  EXPECT_EQ(a.max_header_bytes, 16384);
  EXPECT_EQ(a.max_series, 10000);
  EXPECT_EQ(a.series_expiry, std::chrono::minutes(15));
  ASSERT_EQ(a.buckets.size(), 16u);
  EXPECT_EQ(a.buckets.front(), 0.002);
  EXPECT_EQ(a.buckets.back(), 15);
  EXPECT_TRUE(a.dimensions.empty());
}

TEST(ApmConfig, EmptyAddressTurnsAListenerOff) {
  auto r = parse_args({"--apm.otlp.listen-address=", "--apm.zipkin.listen-address=127.0.0.1:1",
                       "--apm.dimension=http.route", "--apm.dimension", "http.request.method",
                       "--apm.buckets=0.1, 1,10", "--apm.max-series=5", "--apm.series-expiry=1m"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  const apm::ApmConfig a = apm::apm_config(r.config);
  EXPECT_EQ(a.otlp_listen_address, "");
  EXPECT_EQ(a.zipkin_listen_address, "127.0.0.1:1");
  EXPECT_FALSE(a.otlp_address_default);  // given, even empty: a taken port fails
  EXPECT_FALSE(a.zipkin_address_default);
  EXPECT_EQ(a.dimensions, (std::vector<std::string>{"http.route", "http.request.method"}));
  EXPECT_EQ(a.buckets, (std::vector<double>{0.1, 1, 10}));
  EXPECT_EQ(a.max_series, 5);
  EXPECT_EQ(a.series_expiry, std::chrono::minutes(1));
}

TEST(ApmConfig, GrpcListenAddress) {
  auto r = parse_args({"--apm.otlp.grpc-listen-address="});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  apm::ApmConfig a = apm::apm_config(r.config);
  EXPECT_EQ(a.otlp_grpc_listen_address, "");
  EXPECT_FALSE(a.otlp_grpc_address_default);
  EXPECT_EQ(a.otlp_listen_address, "localhost:4318");
  r = parse_args({"--apm.otlp.grpc-listen-address=[::1]:4317"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_EQ(apm::apm_config(r.config).otlp_grpc_listen_address, "[::1]:4317");
  r = parse_args({"--apm.otlp.grpc-listen-address=4317"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("flag --apm.otlp.grpc-listen-address: invalid address \"4317\""),
            std::string::npos)
      << r.text;
}

TEST(ApmConfig, BadValuesNameTheFlag) {
  struct Case {
    const char* arg;
    const char* want;
  } cases[] = {
      {"--apm.otlp.listen-address=nope",
       "flag --apm.otlp.listen-address: invalid address \"nope\""},
      {"--apm.buckets=0.1,0.05", "flag --apm.buckets: bounds must ascend"},
      {"--apm.buckets=0.1,x", "flag --apm.buckets: invalid bound \"x\""},
      {"--apm.buckets=-1", "flag --apm.buckets: invalid bound"},
      {"--apm.max-series=0", "flag --apm.max-series: must be between"},
      {"--apm.series-expiry=soon", "flag --apm.series-expiry: invalid duration \"soon\""},
      {"--apm.max-request-bytes=10", "flag --apm.max-request-bytes: must be between"},
      {"--apm.max-concurrent-requests=0", "flag --apm.max-concurrent-requests: must be between"},
      {"--apm.service-graph.wait=0s", "flag --apm.service-graph.wait: invalid duration"},
      {"--apm.max-connections-per-source=-1",
       "flag --apm.max-connections-per-source: must be between 0 and 1024"},
      {"--apm.metric-names=jaeger", "flag --apm.metric-names: invalid value \"jaeger\""},
      {"--apm.histogram-unit=us", "flag --apm.histogram-unit: invalid value \"us\""},
  };
  for (const auto& c : cases) {
    auto r = parse_args({c.arg});
    EXPECT_EQ(r.action, ConfigResult::kError) << c.arg;
    EXPECT_NE(r.text.find(c.want), std::string::npos) << c.arg << " -> " << r.text;
  }
  std::vector<std::string> nine;
  for (int i = 0; i < 9; ++i) nine.push_back("--apm.dimension=d" + std::to_string(i));
  auto r = parse_args(nine);
  EXPECT_EQ(r.text, "flag --apm.dimension: at most 8 dimensions");
}

TEST(ApmConfig, NamingAndUnitPickTheDefaultBuckets) {
  auto r = parse_args({});
  apm::ApmConfig a = apm::apm_config(r.config);
  EXPECT_EQ(a.metric_naming, apm::MetricNaming::kOtel);
  EXPECT_EQ(a.histogram_unit, apm::HistogramUnit::kSeconds);
  r = parse_args({"--apm.histogram-unit=ms"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  a = apm::apm_config(r.config);
  EXPECT_EQ(a.histogram_unit, apm::HistogramUnit::kMilliseconds);
  ASSERT_EQ(a.buckets.size(), 16u);  // still seconds: the aggregator exports them in ms
  EXPECT_EQ(a.buckets.back(), 15);
  r = parse_args({"--apm.metric-names=tempo"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  a = apm::apm_config(r.config);
  EXPECT_EQ(a.metric_naming, apm::MetricNaming::kTempo);
  ASSERT_EQ(a.buckets.size(), 14u);
  EXPECT_EQ(a.buckets.front(), 0.002);
  EXPECT_EQ(a.buckets.back(), 16.384);
  r = parse_args({"--apm.metric-names=tempo", "--apm.buckets=0.5,1"});
  EXPECT_EQ(apm::apm_config(r.config).buckets, (std::vector<double>{0.5, 1}));
  r = parse_args({"--apm.metric-names=tempo", "--apm.histogram-unit=ms"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("flag --apm.histogram-unit: ms needs --apm.metric-names=otel"),
            std::string::npos)
      << r.text;
}

// The --apm.* flags come from apm/options.cpp through the module hook: core/ declares none.
TEST(ApmConfig, FlagsComeFromTheModuleHook) {
  const ModuleSpec* apm = nullptr;
  for (const ModuleSpec& m : ModuleRegistry::all()) {
    if (m.name == "apm") apm = &m;
  }
  ASSERT_NE(apm, nullptr);
  EXPECT_EQ(apm->options.size(), 20u);
  auto r = parse_args({"--help"});
  ASSERT_EQ(r.action, ConfigResult::kHelp);
  EXPECT_NE(r.text.find("--apm.max-series arg (=10000)"), std::string::npos);
  EXPECT_NE(r.text.find("--apm.native-histograms [=arg(=1)] (=0)"), std::string::npos);
  // A value that is no integer gets Boost's message, naming the flag.
  r = parse_args({"--apm.max-series=x"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_EQ(r.text, "the argument ('x') for option '--apm.max-series' is invalid") << r.text;
  r = parse_args({"--apm.ingestion-nice=20"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_EQ(r.text, "flag --apm.ingestion-nice: must be between 0 and 19") << r.text;
}

TEST(ApmConfig, ConfigFileKeysAndReloadComparison) {
  char path[] = "/tmp/vitals_apm_config_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "apm.max-series = 7\napm.dimension = http.route\n";
  }
  auto a = parse_args({std::string("--config.file=") + path});
  ASSERT_EQ(a.action, ConfigResult::kRun) << a.text;
  EXPECT_EQ(apm::apm_config(a.config).max_series, 7);
  EXPECT_EQ(apm::apm_config(a.config).dimensions, std::vector<std::string>{"http.route"});
  // The command line wins over the file.
  auto b = parse_args({std::string("--config.file=") + path, "--apm.max-series=8"});
  ASSERT_EQ(b.action, ConfigResult::kRun) << b.text;
  EXPECT_EQ(apm::apm_config(b.config).max_series, 8);
  std::remove(path);
  // What SIGHUP compares to warn "--apm.* flags change only on restart".
  EXPECT_FALSE(a.config.module_options.at("apm") == b.config.module_options.at("apm"));
  auto c = parse_args({"--apm.max-series=7", "--apm.dimension=http.route"});
  EXPECT_TRUE(a.config.module_options.at("apm") == c.config.module_options.at("apm"));
}

}  // namespace
}  // namespace vitals
