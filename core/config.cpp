#include "core/config.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "core/duration.h"
#include "core/parse.h"
#include "core/regex.h"
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
    ("print-config", po::bool_switch(), "Print a config file with every option commented out at its default, with its help, and exit.")
    ("config.file", po::value<std::string>(), "Config file (INI: key = value, [section] prefixes keys). The command line wins over it.")
    ("web.listen-address", po::value<std::vector<std::string>>(), "Address to listen on for the web interface and telemetry; repeatable (default: :9100).")
    ("web.telemetry-path", po::value<std::string>()->default_value("/metrics"), "Path under which to expose metrics.")
    ("web.max-requests", po::value<int>()->default_value(40), "Maximum number of parallel scrape requests; more get 503. 0 disables the limit.")
    ("web.max-connections", po::value<int>()->default_value(64), "HTTP server threads, the most connections served at once (an idle keep-alive connection holds one for up to 5 s).")
    ("web.max-connections-per-source", po::value<int>()->default_value(8), "Most connections one client address (IPv4, or IPv6 /64) may hold open; more are closed at once, before they take a server thread. 0 disables the limit.")
    ("web.read-header-timeout", po::value<std::string>()->default_value("5s"), "Time a client has to send its request header, on every listener; also the longest stall while reading a request body or writing a response.")
    ("web.max-header-bytes", po::value<int>()->default_value(16384), "Largest request line and headers, on every listener; larger requests get 431 (413 after a keep-alive request).")
    ("web.max-parked-connections", po::value<int>()->default_value(4096), "Connections each listener holds without a server thread until their request header is complete (TLS: until their first bytes arrive); when that many wait, the oldest is closed to make room. 0 gives each connection a server thread at accept.")
    ("web.gzip-level", po::value<int>()->default_value(1), "gzip level (1-9) when the client accepts gzip: 1 is vitals' fast encoder (fixed Huffman codes), 2-9 are libdeflate's levels.")
    ("web.config.file", po::value<std::string>()->default_value(""), "Path to a web config file (exporter-toolkit's web-config.yml: TLS, client certificates, basic auth, response headers); re-read on SIGHUP. Empty: plain HTTP.")
    ("web.disable-exporter-metrics", po::value<bool>()->implicit_value(true)->default_value(false), "Exclude metrics about the exporter itself: process_*, promhttp_* and vitals_* (vitals_build_info, the APM module's vitals_apm_* and vitals_remote_write_* stay).")
    ("path.procfs", po::value<std::string>()->default_value("/proc"), "procfs mountpoint.")
    ("path.sysfs", po::value<std::string>()->default_value("/sys"), "sysfs mountpoint.")
    ("path.rootfs", po::value<std::string>()->default_value("/"), "rootfs mountpoint.")
    ("path.udev.data", po::value<std::string>()->default_value("/run/udev/data"), "udev data path.")
    ("collector.disable-defaults", po::value<bool>()->implicit_value(true)->default_value(false), "Set all collectors to disabled by default.")
    ("collector.timeout", po::value<std::string>()->default_value("5s"), "Deadline of each collector in a scrape; a collector past it is reported failed (node_scrape_collector_success 0).")
    ("collector.workers", po::value<int>()->default_value(4), "Worker threads that run collectors.")
    ("collector.max-threads", po::value<int>()->default_value(16), "Most worker threads, counting ones stuck past their deadline (for example in a hung statfs).")
    ("collector.keep-open-files", po::value<int>()->default_value(1536), "Most procfs/sysfs files kept open between scrapes and re-read with pread (the kernel regenerates them on each read), at most a quarter of the open-file limit; 0 opens and closes every file each time.")
    ("log.level", po::value<std::string>()->default_value("info"), "Only log messages with the given severity or above: debug, info, warn, error.")
    ("log.format", po::value<std::string>()->default_value("logfmt"), "Output format of log messages: logfmt or json.");
  // clang-format on
  for (const ModuleSpec& m : ModuleRegistry::all()) {
    for (const OptionDecl& o : m.options) {
      std::string flag = m.name + "." + o.name;
      if (o.kind == OptionKind::kStrings) {
        d.add_options()(flag.c_str(), po::value<std::vector<std::string>>(), o.help.c_str());
      } else if (o.kind == OptionKind::kBool) {
        d.add_options()(
            flag.c_str(),
            po::value<bool>()->implicit_value(true)->default_value(o.default_value == "true"),
            o.help.c_str());
      } else if (o.kind == OptionKind::kInt) {
        // Typed, so a value that is no integer gets Boost's own message, as it always did.
        auto* v = po::value<int64_t>();
        if (!o.default_value.empty()) v->default_value(parse::to_i64(o.default_value).value_or(0));
        d.add_options()(flag.c_str(), v, o.help.c_str());
      } else if (o.default_value.empty()) {
        d.add_options()(flag.c_str(), po::value<std::string>(), o.help.c_str());
      } else {
        d.add_options()(flag.c_str(), po::value<std::string>()->default_value(o.default_value),
                        o.help.c_str());
      }
    }
  }
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

// Boost's message for an error. Boost fills a flag's name and value into its message template
// with a loop that never ends when the text filled in contains its own placeholder (a config
// key or flag named "x%option%x", found by fuzz.config: the agent hung at start or on SIGHUP).
// Such texts have their '%' replaced by '?' before the message is made.
std::string boost_message(const po::error& e) {
  auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
  if (!named) return e.what();
  struct Peek : po::error_with_option_name {
    static const std::map<std::string, std::string>& substitutions(
        const po::error_with_option_name& x) {
      return x.*(&Peek::m_substitutions);
    }
  };
  po::error_with_option_name copy = *named;
  for (auto [key, text] : Peek::substitutions(*named)) {
    if (text.find('%') == std::string::npos) continue;
    std::replace(text.begin(), text.end(), '%', '?');
    copy.set_substitute(key, text);
  }
  return copy.what();
}

// Rewrites a Boost error into one line that names the flag and what is wrong.
std::string explain(const po::error& e, const std::string& where) {
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
  std::string msg = boost_message(e);
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
    case OptionKind::kRegex: {
      // Go's regexp syntax, as node_exporter's flags (RE2).
      std::string why = Regex::error(v);
      if (!why.empty()) {
        *err = "flag --" + flag + ": invalid regex \"" + v + "\": " + why;
        return false;
      }
      return true;
    }
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

// Wraps `text` into "# " comment lines of at most `width` columns (a longer word stays whole).
void comment(std::string& out, const std::string& text, size_t width = 98) {
  std::istringstream words(text);
  std::string line, w;
  while (words >> w) {
    if (!line.empty() && line.size() + 1 + w.size() > width - 2) {
      out += "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) out += "# " + line + "\n";
}

// The config file with every option the command line takes, each commented out at its default
// and preceded by its help: what the Debian package installs as /etc/vitals/vitals.conf. It is
// made from `desc` itself, so it lists exactly the options this binary has.
std::string print_config(const po::options_description& desc) {
  // Defaults that Boost does not hold: repeatable flags, collectors and their options (checked
  // by vitals, not typed by Boost).
  std::map<std::string, std::string, std::less<>> defaults = {{"web.listen-address", ":9100"}};
  for (const CollectorSpec& s : CollectorRegistry::all()) {
    defaults["collector." + s.name] = s.default_enabled ? "true" : "false";
    for (const OptionDecl& o : s.options) {
      defaults[o.flag.empty() ? "collector." + s.name + "." + o.name : o.flag] = o.default_value;
    }
  }
  std::string out =
      "# vitals configuration, read with --config.file. INI: one \"key = value\" a line, keys\n"
      "# named as the flags without \"--\"; a repeatable key may appear more than once. Every\n"
      "# option is listed below, commented out at its default: uncomment a line to change it.\n"
      "# The command line wins over this file; SIGHUP (systemctl reload vitals) reloads it.\n"
      "# Made by `vitals --print-config`.\n";
  for (const auto& o : desc.options()) {
    const std::string& name = o->long_name();
    if (name == "help" || name == "version" || name == "list-collectors" ||
        name == "print-config" || name == "config.file" || name.rfind("no-", 0) == 0) {
      continue;
    }
    std::string value;
    if (auto it = defaults.find(name); it != defaults.end()) {
      value = it->second;
    } else {
      // Boost's "arg (=X)" (a bool shows 0/1); no default: the key is listed empty.
      std::string p = o->format_parameter();
      if (size_t i = p.find("(="); i != std::string::npos && p.back() == ')') {
        value = p.substr(i + 2, p.size() - i - 3);
        if (dynamic_cast<const po::typed_value<bool>*>(o->semantic().get())) {
          value = value == "1" ? "true" : "false";
        }
      }
    }
    out += "\n";
    comment(out, o->description());
    out += "#" + name + " =" + (value.empty() ? "" : " " + value) + "\n";
  }
  return out;
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
    // a listener off (--apm.otlp.listen-address=): pass such a flag and its empty value as two
    // tokens instead.
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
  if (vm["print-config"].as<bool>()) {
    // Printed and exited on like --help (agent/main.cpp prints kHelp's text to stdout).
    r.action = ConfigResult::kHelp;
    r.text = print_config(desc);
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
  c.web_max_connections_per_source = vm["web.max-connections-per-source"].as<int>();
  if (c.web_max_connections_per_source < 0 || c.web_max_connections_per_source > 1024) {
    return fail("flag --web.max-connections-per-source: must be between 0 and 1024");
  }
  {
    const std::string& t = vm["web.read-header-timeout"].as<std::string>();
    std::chrono::nanoseconds d{};
    if (!parse_duration(t, &d) || d < std::chrono::milliseconds(100) ||
        d > std::chrono::minutes(10)) {
      return fail("flag --web.read-header-timeout: invalid duration \"" + t +
                  "\" (want 100ms to 10m, e.g. 5s)");
    }
    c.web_read_header_timeout_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }
  c.web_max_header_bytes = vm["web.max-header-bytes"].as<int>();
  if (c.web_max_header_bytes < 1024 || c.web_max_header_bytes > (1 << 20)) {
    return fail("flag --web.max-header-bytes: must be between 1024 and 1048576");
  }
  c.web_max_parked_connections = vm["web.max-parked-connections"].as<int>();
  if (c.web_max_parked_connections < 0 || c.web_max_parked_connections > (1 << 20)) {
    return fail("flag --web.max-parked-connections: must be between 0 and 1048576");
  }
  c.web_gzip_level = vm["web.gzip-level"].as<int>();
  if (c.web_gzip_level < 1 || c.web_gzip_level > 9) {
    return fail("flag --web.gzip-level: must be between 1 and 9");
  }
  c.web_config_file = vm["web.config.file"].as<std::string>();
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

  if (!ModuleRegistry::error().empty()) return fail(ModuleRegistry::error());
  for (const ModuleSpec& m : ModuleRegistry::all()) {
    ModuleOptions opts;
    for (const OptionDecl& o : m.options) {
      std::string flag = m.name + "." + o.name;
      bool given = vm.count(flag) > 0 && !vm[flag].defaulted();
      std::vector<std::string> values;
      if (o.kind == OptionKind::kStrings) {
        if (vm.count(flag)) values = vm[flag].as<std::vector<std::string>>();
      } else if (o.kind == OptionKind::kBool) {
        values.push_back(vm[flag].as<bool>() ? "true" : "false");
      } else if (o.kind == OptionKind::kInt) {
        values.push_back(vm.count(flag) ? std::to_string(vm[flag].as<int64_t>()) : "");
      } else {
        values.push_back(vm.count(flag) ? vm[flag].as<std::string>() : o.default_value);
      }
      opts.set(o.name, std::move(values), given);
    }
    if (m.validate) {
      if (std::string e = m.validate(opts); !e.empty()) return fail(e);
    }
    c.module_options.emplace(m.name, std::move(opts));
  }

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
