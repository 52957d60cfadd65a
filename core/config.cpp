#include "core/config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/duration.h"
#include "core/parse.h"
#include "core/version.h"

namespace po = boost::program_options;

namespace vitals {
namespace {

const char* kind_arg(OptionKind k) {
  switch (k) {
    case OptionKind::kString:
      return "string";
    case OptionKind::kStrings:
      return "string (repeatable)";
    case OptionKind::kBool:
      return "bool";
    case OptionKind::kRegex:
      return "regex";
    case OptionKind::kDuration:
      return "duration";
    case OptionKind::kInt:
      return "int";
  }
  return "string";
}

void build(po::options_description& d) {
  auto& reg = CollectorRegistry::all();
  // clang-format off
  d.add_options()
    ("help,h", po::bool_switch(), "Show this help and exit.")
    ("version", po::bool_switch(), "Show the version and exit.")
    ("list-collectors", po::bool_switch(), "List the collectors (name, default, implemented) and exit.")
    ("config.file", po::value<std::string>(), "Config file (INI: key = value, [section] prefixes keys). The command line wins over it.")
    ("web.listen-address", po::value<std::vector<std::string>>(), "Address to listen on for the web interface and telemetry; repeatable. Default :9100.")
    ("web.telemetry-path", po::value<std::string>()->default_value("/metrics"), "Path under which to expose metrics.")
    ("web.max-requests", po::value<int>()->default_value(40), "Maximum number of parallel scrape requests; more get 503. 0 disables the limit.")
    ("web.max-connections", po::value<int>()->default_value(8), "HTTP server threads, the most connections served at once (an idle keep-alive connection holds one for up to 5 s).")
    ("web.gzip-level", po::value<int>()->default_value(1), "gzip level (1-9) when the client accepts gzip: 1 is vitals' fast encoder (fixed Huffman codes), 2-9 are libdeflate's levels.")
    ("web.disable-exporter-metrics", po::value<bool>()->implicit_value(true)->default_value(false), "Exclude metrics about the exporter itself (process_*, promhttp_*).")
    ("path.procfs", po::value<std::string>()->default_value("/proc"), "procfs mountpoint.")
    ("path.sysfs", po::value<std::string>()->default_value("/sys"), "sysfs mountpoint.")
    ("path.rootfs", po::value<std::string>()->default_value("/"), "rootfs mountpoint.")
    ("path.udev.data", po::value<std::string>()->default_value("/run/udev/data"), "udev data path.")
    ("collector.disable-defaults", po::value<bool>()->implicit_value(true)->default_value(false), "Set all collectors to disabled by default.")
    ("collector.timeout", po::value<std::string>()->default_value("5s"), "Deadline of each collector in a scrape; a collector past it is reported failed (node_scrape_collector_success 0).")
    ("collector.workers", po::value<int>()->default_value(4), "Worker threads that run collectors.")
    ("collector.max-threads", po::value<int>()->default_value(16), "Most worker threads, counting ones stuck past their deadline (for example in a hung statfs).")
    ("collector.keep-open-files", po::value<int>()->default_value(256), "Most procfs/sysfs files kept open between scrapes and re-read with pread (the kernel regenerates them on each read); 0 opens and closes every file each time.")
    ("log.level", po::value<std::string>()->default_value("info"), "Only log messages with the given severity or above: debug, info, warn, error.")
    ("log.format", po::value<std::string>()->default_value("logfmt"), "Output format of log messages: logfmt or json.");
  // ---- APM ----
  d.add_options()
    ("apm.otlp.listen-address", po::value<std::string>()->default_value(":4318"), "OTLP/HTTP span receiver address (POST /v1/traces); empty turns it off.")
    ("apm.zipkin.listen-address", po::value<std::string>()->default_value(":9411"), "Zipkin v2 span receiver address (POST /api/v2/spans); empty turns it off.")
    ("apm.dimension", po::value<std::vector<std::string>>(), "Span or resource attribute added as a label to the span metrics, e.g. http.route; repeatable (at most 8).")
    ("apm.buckets", po::value<std::string>()->default_value("0.002,0.004,0.006,0.008,0.01,0.05,0.1,0.2,0.4,0.8,1,1.4,2,5,10,15"), "Span duration histogram bucket bounds in seconds, comma-separated, ascending.")
    ("apm.max-series", po::value<int64_t>()->default_value(10000), "Most span metric label sets; spans of new ones beyond it count into one otel_metric_overflow=\"true\" series.")
    ("apm.series-expiry", po::value<std::string>()->default_value("15m"), "Span metric label sets without spans for this long are dropped.")
    ("apm.max-request-bytes", po::value<int64_t>()->default_value(4 << 20), "Largest span request body, before and after gzip; larger ones get 413.")
    ("apm.max-concurrent-requests", po::value<int>()->default_value(4), "Span requests decoded at once (the ingestion queue); more get 429 with Retry-After.")
    ("apm.max-connections", po::value<int>()->default_value(16), "HTTP server threads per APM listener.")
    ("apm.service-graph.max-items", po::value<int64_t>()->default_value(10000), "Most client or server spans waiting for their peer span.")
    ("apm.service-graph.wait", po::value<std::string>()->default_value("10s"), "How long a client or server span waits for its peer span.")
    ("apm.native-histograms", po::value<bool>()->implicit_value(true)->default_value(false), "Also keep the span duration histogram as a native histogram (served to protobuf scrapes).")
    ("apm.native-histograms.schema", po::value<int>()->default_value(3), "Native histogram resolution, -4..8: bucket bounds grow by 2^(2^-schema).")
    ("apm.native-histograms.max-buckets", po::value<int64_t>()->default_value(160), "Most native histogram buckets per series; beyond it the series' schema is lowered.");
  // clang-format on
  for (const CollectorSpec& s : reg) {
    std::string on = "collector." + s.name;
    d.add_options()(on.c_str(), po::value<bool>()->implicit_value(true),
                    (std::string("Enable the ") + s.name + " collector (default: " +
                     (s.default_enabled ? "enabled" : "disabled") + "). " + s.help +
                     (s.implemented ? "" : " [accepted for compatibility; not implemented]"))
                        .c_str());
    std::string off = "no-collector." + s.name;
    d.add_options()(off.c_str(), po::value<bool>()->implicit_value(true),
                    ("Disable the " + s.name + " collector.").c_str());
    for (const OptionDecl& o : s.options) {
      std::string flag = o.flag.empty() ? "collector." + s.name + "." + o.name : o.flag;
      std::string help = o.help;
      if (!o.default_value.empty()) help += " (default: " + o.default_value + ")";
      help += std::string(" [") + kind_arg(o.kind) + "]";
      if (o.kind == OptionKind::kStrings) {
        d.add_options()(flag.c_str(), po::value<std::vector<std::string>>(), help.c_str());
      } else if (o.kind == OptionKind::kBool) {
        d.add_options()(flag.c_str(), po::value<std::string>()->implicit_value("true"),
                        help.c_str());
        std::string neg = "no-" + flag;
        d.add_options()(neg.c_str(), po::value<bool>()->implicit_value(true),
                        ("Unset --" + flag + ".").c_str());
      } else {
        d.add_options()(flag.c_str(), po::value<std::string>(), help.c_str());
      }
    }
  }
}

// Rewrites a Boost error into one line that names the flag and what is wrong.
std::string explain(const po::error& e, const std::string& where) {
  std::string msg = e.what();
  if (auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
    std::string name = u->get_option_name();
    std::string bare = name;
    while (!bare.empty() && bare.front() == '-') bare.erase(0, 1);
    bare = bare.substr(0, bare.find('='));
    for (const char* prefix : {"collector.", "no-collector."}) {
      std::string p = prefix;
      if (bare.rfind(p, 0) == 0) {
        std::string rest = bare.substr(p.size());
        std::string coll = rest.substr(0, rest.find('.'));
        if (!CollectorRegistry::find(coll)) {
          return where + "unknown collector \"" + coll + "\" in flag --" + bare;
        }
        return where + "unknown option --" + bare + " for collector " + coll;
      }
    }
    return where + "unknown flag --" + bare;
  }
  return where + msg;
}

bool check_bool(const std::string& flag, const std::string& v, std::string* err) {
  if (v == "true" || v == "false" || v == "1" || v == "0" || v == "yes" || v == "no" || v == "on" ||
      v == "off") {
    return true;
  }
  *err = "flag --" + flag + ": invalid boolean \"" + v + "\"";
  return false;
}

bool check_value(const std::string& flag, OptionKind kind, const std::string& v, std::string* err) {
  switch (kind) {
    case OptionKind::kBool:
      return check_bool(flag, v, err);
    case OptionKind::kRegex:
      try {
        std::regex re(v, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        *err = "flag --" + flag + ": invalid regex \"" + v + "\": " + e.what();
        return false;
      }
      return true;
    case OptionKind::kDuration: {
      std::chrono::nanoseconds d;
      if (!parse_duration(v, &d)) {
        *err = "flag --" + flag + ": invalid duration \"" + v + "\" (want e.g. 5s, 500ms)";
        return false;
      }
      return true;
    }
    case OptionKind::kInt:
      if (!parse::to_i64(v)) {
        *err = "flag --" + flag + ": invalid integer \"" + v + "\"";
        return false;
      }
      return true;
    default:
      return true;
  }
}

// ---- APM ----
std::string parse_apm(const po::variables_map& vm, ApmConfig* a) {
  for (const char* flag : {"apm.otlp.listen-address", "apm.zipkin.listen-address"}) {
    std::string v = vm[flag].as<std::string>();
    ListenAddress la;
    std::string err;
    if (!v.empty() && !parse_listen_address(v, &la, &err)) {
      return std::string("flag --") + flag + ": invalid address \"" + v + "\": " + err;
    }
    (std::string_view(flag) == "apm.otlp.listen-address" ? a->otlp_listen_address
                                                         : a->zipkin_listen_address) = v;
  }
  if (vm.count("apm.dimension")) a->dimensions = vm["apm.dimension"].as<std::vector<std::string>>();
  if (a->dimensions.size() > 8) return "flag --apm.dimension: at most 8 dimensions";
  for (const auto& d : a->dimensions) {
    if (d.empty()) return "flag --apm.dimension: empty attribute key";
  }
  std::string b = vm["apm.buckets"].as<std::string>();
  a->buckets.clear();
  for (size_t pos = 0; pos <= b.size();) {
    size_t comma = b.find(',', pos);
    std::string item = b.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto v = parse::to_double(parse::trim(item));
    if (!v || !(*v > 0) || *v > 1e9) {
      return "flag --apm.buckets: invalid bound \"" + item + "\" (want seconds > 0, e.g. 0.005)";
    }
    if (!a->buckets.empty() && *v <= a->buckets.back()) {
      return "flag --apm.buckets: bounds must ascend, \"" + item + "\" does not";
    }
    a->buckets.push_back(*v);
    if (a->buckets.size() > 64) return "flag --apm.buckets: at most 64 bounds";
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  a->max_series = vm["apm.max-series"].as<int64_t>();
  if (a->max_series < 1 || a->max_series > 10'000'000) {
    return "flag --apm.max-series: must be between 1 and 10000000";
  }
  std::string e = vm["apm.series-expiry"].as<std::string>();
  if (!parse_duration(e, &a->series_expiry) || a->series_expiry.count() <= 0) {
    return "flag --apm.series-expiry: invalid duration \"" + e + "\" (want e.g. 15m)";
  }
  a->max_request_bytes = vm["apm.max-request-bytes"].as<int64_t>();
  if (a->max_request_bytes < 1024 || a->max_request_bytes > (int64_t{1} << 30)) {
    return "flag --apm.max-request-bytes: must be between 1024 and 1073741824";
  }
  a->max_concurrent_requests = vm["apm.max-concurrent-requests"].as<int>();
  if (a->max_concurrent_requests < 1 || a->max_concurrent_requests > 256) {
    return "flag --apm.max-concurrent-requests: must be between 1 and 256";
  }
  a->max_connections = vm["apm.max-connections"].as<int>();
  if (a->max_connections < 1 || a->max_connections > 1024) {
    return "flag --apm.max-connections: must be between 1 and 1024";
  }
  a->service_graph_max_items = vm["apm.service-graph.max-items"].as<int64_t>();
  if (a->service_graph_max_items < 0 || a->service_graph_max_items > 10'000'000) {
    return "flag --apm.service-graph.max-items: must be between 0 and 10000000";
  }
  std::string w = vm["apm.service-graph.wait"].as<std::string>();
  if (!parse_duration(w, &a->service_graph_wait) || a->service_graph_wait.count() <= 0) {
    return "flag --apm.service-graph.wait: invalid duration \"" + w + "\" (want e.g. 10s)";
  }
  a->native_histograms = vm["apm.native-histograms"].as<bool>();
  a->native_histogram_schema = vm["apm.native-histograms.schema"].as<int>();
  if (a->native_histogram_schema < -4 || a->native_histogram_schema > 8) {
    return "flag --apm.native-histograms.schema: must be between -4 and 8";
  }
  a->native_histogram_max_buckets = vm["apm.native-histograms.max-buckets"].as<int64_t>();
  if (a->native_histogram_max_buckets < 1 || a->native_histogram_max_buckets > 100000) {
    return "flag --apm.native-histograms.max-buckets: must be between 1 and 100000";
  }
  return "";
}

}  // namespace

std::string version_string() {
  return std::string("vitals version ") + kVitalsVersion + " (revision " + kVitalsRevision +
         ", compiler " + kVitalsCompiler + ")";
}

bool parse_listen_address(std::string_view s, ListenAddress* out, std::string* error) {
  ListenAddress a;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      *error = "want [host]:port";
      return false;
    }
    a.host = std::string(s.substr(1, close - 1));
    a.ipv6 = true;
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      *error = "want host:port or :port";
      return false;
    }
    a.host = std::string(s.substr(0, colon));
    if (a.host.find(':') != std::string::npos) {
      *error = "IPv6 hosts must be written in brackets, e.g. [::1]:9100";
      return false;
    }
    port = s.substr(colon + 1);
  }
  auto p = parse::to_u64(port);
  if (!p || *p == 0 || *p > 65535) {
    *error = "invalid port \"" + std::string(port) + "\"";
    return false;
  }
  a.port = static_cast<int>(*p);
  *out = a;
  return true;
}

ConfigResult parse_config(int argc, const char* const* argv) {
  ConfigResult r;
  po::options_description desc("vitals: a Prometheus metrics agent for Linux nodes.\n\nFlags", 120,
                               60);
  build(desc);
  po::variables_map vm;
  try {
    auto style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing &
                 ~po::command_line_style::allow_sticky;
    // Boost refuses "--flag=" (an empty value after '='), which is how an empty address turns
    // an APM listener off: pass such a flag and its empty value as two tokens instead.
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.size() > 3 && a.rfind("--", 0) == 0 && a.back() == '=' && a.find('=') == a.size() - 1) {
        args.push_back(a.substr(0, a.size() - 1));
        args.emplace_back();
      } else {
        args.push_back(std::move(a));
      }
    }
    po::store(po::command_line_parser(args).options(desc).style(style).run(), vm);
  } catch (const po::error& e) {
    r.action = ConfigResult::kError;
    r.text = explain(e, "");
    return r;
  }
  if (vm["help"].as<bool>()) {
    std::ostringstream os;
    os << desc;
    r.action = ConfigResult::kHelp;
    r.text = os.str();
    return r;
  }
  if (vm["list-collectors"].as<bool>()) {
    r.action = ConfigResult::kListCollectors;
    for (const CollectorSpec& s : CollectorRegistry::all()) {
      r.text += s.name + (s.default_enabled ? " enabled" : " disabled") +
                (s.implemented ? " implemented\n" : " not-implemented\n");
    }
    return r;
  }
  if (vm["version"].as<bool>()) {
    r.action = ConfigResult::kVersion;
    r.text = version_string();
    return r;
  }
  Config& c = r.config;
  if (vm.count("config.file")) {
    c.config_file = vm["config.file"].as<std::string>();
    std::ifstream in(c.config_file);
    if (!in) {
      r.action = ConfigResult::kError;
      r.text = "flag --config.file: cannot open \"" + c.config_file + "\"";
      return r;
    }
    try {
      po::store(po::parse_config_file(in, desc, false), vm);
    } catch (const po::error& e) {
      r.action = ConfigResult::kError;
      r.text = explain(e, "config file " + c.config_file + ": ");
      return r;
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    r.action = ConfigResult::kError;
    r.text = explain(e, "");
    return r;
  }

  auto fail = [&](std::string msg) {
    r.action = ConfigResult::kError;
    r.text = std::move(msg);
    return r;
  };
  c.listen_addresses = vm.count("web.listen-address")
                           ? vm["web.listen-address"].as<std::vector<std::string>>()
                           : std::vector<std::string>{":9100"};
  for (const auto& a : c.listen_addresses) {
    ListenAddress la;
    std::string err;
    if (!parse_listen_address(a, &la, &err)) {
      return fail("flag --web.listen-address: invalid address \"" + a + "\": " + err);
    }
  }
  c.telemetry_path = vm["web.telemetry-path"].as<std::string>();
  if (c.telemetry_path.empty() || c.telemetry_path.front() != '/') {
    return fail("flag --web.telemetry-path: must start with /, got \"" + c.telemetry_path + "\"");
  }
  c.web_max_requests = vm["web.max-requests"].as<int>();
  if (c.web_max_requests < 0) return fail("flag --web.max-requests: must be >= 0");
  c.web_max_connections = vm["web.max-connections"].as<int>();
  if (c.web_max_connections < 1 || c.web_max_connections > 1024) {
    return fail("flag --web.max-connections: must be between 1 and 1024");
  }
  c.web_gzip_level = vm["web.gzip-level"].as<int>();
  if (c.web_gzip_level < 1 || c.web_gzip_level > 9) {
    return fail("flag --web.gzip-level: must be between 1 and 9");
  }
  c.disable_exporter_metrics = vm["web.disable-exporter-metrics"].as<bool>();
  c.paths.procfs = vm["path.procfs"].as<std::string>();
  c.paths.sysfs = vm["path.sysfs"].as<std::string>();
  c.paths.rootfs = vm["path.rootfs"].as<std::string>();
  c.paths.udev_data = vm["path.udev.data"].as<std::string>();
  if (!parse_duration(vm["collector.timeout"].as<std::string>(), &c.collector_timeout) ||
      c.collector_timeout.count() <= 0) {
    return fail("flag --collector.timeout: invalid duration \"" +
                vm["collector.timeout"].as<std::string>() + "\" (want e.g. 5s, 500ms)");
  }
  c.collector_workers = vm["collector.workers"].as<int>();
  if (c.collector_workers < 1 || c.collector_workers > 256) {
    return fail("flag --collector.workers: must be between 1 and 256");
  }
  c.collector_max_threads = vm["collector.max-threads"].as<int>();
  if (c.collector_max_threads < c.collector_workers || c.collector_max_threads > 1024) {
    return fail("flag --collector.max-threads: must be between --collector.workers and 1024");
  }
  c.collector_keep_open_files = vm["collector.keep-open-files"].as<int>();
  if (c.collector_keep_open_files < 0 || c.collector_keep_open_files > 65536) {
    return fail("flag --collector.keep-open-files: must be between 0 and 65536");
  }
  if (!log::parse_level(vm["log.level"].as<std::string>(), &c.log_level)) {
    return fail("flag --log.level: unknown level \"" + vm["log.level"].as<std::string>() +
                "\" (want debug, info, warn or error)");
  }
  if (!log::parse_format(vm["log.format"].as<std::string>(), &c.log_format)) {
    return fail("flag --log.format: unknown format \"" + vm["log.format"].as<std::string>() +
                "\" (want logfmt or json)");
  }

  if (std::string e = parse_apm(vm, &c.apm); !e.empty()) return fail(e);

  bool disable_defaults = vm["collector.disable-defaults"].as<bool>();
  for (const CollectorSpec& s : CollectorRegistry::all()) {
    std::string on = "collector." + s.name;
    bool enabled = s.default_enabled && !disable_defaults;
    if (vm.count(on)) enabled = vm[on].as<bool>();
    if (vm.count("no-" + on) && vm["no-" + on].as<bool>()) enabled = false;
    CollectorOptions opts;
    for (const OptionDecl& o : s.options) {
      std::string flag = o.flag.empty() ? on + "." + o.name : o.flag;
      std::vector<std::string> values;
      bool given = vm.count(flag) > 0;
      if (o.kind == OptionKind::kStrings) {
        if (given) values = vm[flag].as<std::vector<std::string>>();
      } else {
        values.push_back(given ? vm[flag].as<std::string>() : o.default_value);
        if (o.kind == OptionKind::kBool && vm.count("no-" + flag) && vm["no-" + flag].as<bool>()) {
          values.back() = "false";
          given = true;
        }
      }
      for (const auto& v : values) {
        std::string err;
        if (!check_value(flag, o.kind, v, &err)) return fail(err);
      }
      opts.set(o.name, std::move(values), given);
    }
    c.collector_options.emplace(s.name, std::move(opts));
    if (enabled) c.enabled_collectors.push_back(s.name);
  }
  return r;
}

}  // namespace vitals
