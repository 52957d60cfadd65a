#include "collectors/process_groups/config.h"

#include <re2/re2.h>
#include <time.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vitals::pgroups {
namespace {

std::string where(const std::string& file, int line) {
  return file + ":" + std::to_string(line) + ": ";
}

int line_of(const YAML::Node& n) {
  return n.Mark().is_null() ? 1 : n.Mark().line + 1;
}

// A list of strings (`comm:`, `exe:`, `cmdline:`); a scalar or a map there is an error, as in
// process-exporter (yaml.v2 refuses to put them in a []string).
std::vector<std::string> strings(const YAML::Node& n, const std::string& file,
                                 std::string_view key) {
  if (!n.IsSequence()) {
    throw ConfigError(where(file, line_of(n)) + std::string(key) + ": expected a list of strings");
  }
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      throw ConfigError(where(file, line_of(item)) + std::string(key) +
                        ": expected a string, got a list or map");
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

constexpr struct {
  std::string_view name;
  Config::Part::Kind kind;
} kFields[] = {{"Comm", Config::Part::kComm},       {"ExeBase", Config::Part::kExeBase},
               {"ExeFull", Config::Part::kExeFull}, {"Username", Config::Part::kUsername},
               {"PID", Config::Part::kPid},         {"StartTime", Config::Part::kStartTime},
               {"Cgroups", Config::Part::kCgroups}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

namespace {

// The lines of `text` as "Key:" and the number after it.
template <class F>
void each_value(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    f(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
}

double leading_number(std::string_view s, std::string_view* rest = nullptr) {
  double v = 0;
  size_t i = 0;
  bool any = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + (s[i] - '0');
    any = true;
  }
  if (rest) *rest = trim(s.substr(i));
  return any ? v : -1;
}

}  // namespace

double status_effective_uid(std::string_view status) {
  double uid = -1;
  each_value(status, [&](std::string_view key, std::string_view value) {
    if (key != "Uid") return;
    std::string_view rest;
    leading_number(value, &rest);
    uid = leading_number(rest);
  });
  return uid;
}

SmapsRollup parse_smaps_rollup(std::string_view text) {
  SmapsRollup r;
  each_value(text, [&](std::string_view key, std::string_view value) {
    double* out = key == "Pss" ? &r.pss_bytes : key == "SwapPss" ? &r.swap_pss_bytes : nullptr;
    if (!out) return;
    std::string_view unit;
    double v = leading_number(value, &unit);
    if (v >= 0) *out = unit == "kB" ? v * 1024 : v;
  });
  return r;
}

std::string_view path_base(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return p;
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

std::string go_time_string(long long sec, long nsec) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[96];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out(buf, n);
  if (nsec > 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09ld", nsec);
    std::string_view f(frac);
    while (f.back() == '0') f.remove_suffix(1);
    out += f;
  }
  n = strftime(buf, sizeof buf, " %z %Z", &tm);
  out.append(buf, n);
  return out;
}

std::string go_cgroups_string(std::string_view file) {
  std::string out = "[";
  bool first = true;
  while (!file.empty()) {
    auto nl = file.find('\n');
    std::string_view line = file.substr(0, nl);
    file = nl == std::string_view::npos ? std::string_view() : file.substr(nl + 1);
    if (line.empty()) continue;
    auto c1 = line.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    if (!first) out += ' ';
    out += line.substr(c2 + 1);
    first = false;
  }
  out += ']';
  return out;
}

std::vector<Config::Part> parse_template(std::string_view t,
                                         const std::set<std::string, std::less<>>& captures) {
  std::vector<Config::Part> parts;
  auto text = [&](std::string_view s) {
    if (s.empty()) return;
    if (parts.empty() || parts.back().kind != Config::Part::kText) parts.push_back({});
    parts.back().text += s;
  };
  while (!t.empty()) {
    auto open = t.find("{{");
    if (open == std::string_view::npos) {
      text(t);
      break;
    }
    text(t.substr(0, open));
    auto close = t.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw std::invalid_argument("unclosed action: \"{{\" without \"}}\"");
    }
    std::string_view action = trim(t.substr(open + 2, close - open - 2));
    t.remove_prefix(close + 2);
    std::string shown = "{{" + std::string(action) + "}}";
    if (action.empty() || action.front() != '.') {
      throw std::invalid_argument(
          shown +
          ": only fields are supported ({{.Comm}}, {{.ExeBase}}, {{.ExeFull}}, "
          "{{.Username}}, {{.PID}}, {{.StartTime}}, {{.Cgroups}}, {{.Matches.NAME}})");
    }
    std::string_view field = action.substr(1);
    if (field.substr(0, 8) == "Matches.") {
      std::string_view name = field.substr(8);
      if (!captures.contains(name)) {
        throw std::invalid_argument(shown + ": no cmdline regexp of this matcher has a group (?P<" +
                                    std::string(name) + ">...)");
      }
      parts.push_back({Config::Part::kMatch, std::string(name)});
      continue;
    }
    bool found = false;
    for (const auto& f : kFields) {
      if (f.name == field) {
        parts.push_back({f.kind, {}});
        found = true;
      }
    }
    if (!found) {
      throw std::invalid_argument(shown +
                                  ": unknown field (known: Comm, ExeBase, ExeFull, "
                                  "Username, PID, StartTime, Cgroups, Matches.NAME)");
    }
  }
  return parts;
}

Config Config::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Config Config::parse(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(where(file, e.mark.is_null() ? 1 : e.mark.line + 1) + e.msg);
  }
  if (!root.IsMap())
    throw ConfigError(where(file, line_of(root)) + "expected a map with process_names");
  Config cfg;
  YAML::Node list;
  for (const auto& kv : root) {
    auto key = kv.first.as<std::string>();
    if (key != "process_names") {
      throw ConfigError(where(file, line_of(kv.first)) + "unknown key \"" + key +
                        "\" (only process_names is read)");
    }
    list = kv.second;
  }
  if (!list || list.IsNull()) throw ConfigError(where(file, line_of(root)) + "no process_names");
  if (!list.IsSequence()) {
    throw ConfigError(where(file, line_of(list)) + "process_names: expected a list of matchers");
  }
  for (const auto& item : list) {
    if (!item.IsMap()) {
      throw ConfigError(where(file, line_of(item)) +
                        "process_names: each item is a map of name, comm, exe, cmdline");
    }
    Matcher m;
    m.line = line_of(item);
    std::string name_tmpl = "{{.ExeBase}}";
    int name_line = m.line;
    std::set<std::string, std::less<>> captures;
    for (const auto& kv : item) {
      auto key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "name") {
        if (!v.IsNull() && !v.IsScalar()) {
          throw ConfigError(where(file, line_of(v)) + "name: expected a string");
        }
        if (v.IsScalar() && !v.Scalar().empty()) name_tmpl = v.Scalar();
        name_line = line_of(v);
      } else if (key == "comm" || key == "exe" || key == "cmdline") {
        if (v.IsNull()) continue;  // as absent (a nil list in process-exporter)
        auto vals = strings(v, file, key);
        if (key == "comm") {
          m.has_comm = true;
          m.comms.insert(vals.begin(), vals.end());
        } else if (key == "exe") {
          m.has_exe = true;
          for (const auto& e : vals) {
            if (e.find('/') != std::string::npos) {
              m.exes[std::string(path_base(e))] = e;
            } else {
              m.exes[e] = "";
            }
          }
        } else {
          cfg.needs_cmdline_ = true;
          size_t i = 0;
          for (const auto& re_text : vals) {
            RE2::Options o;
            o.set_log_errors(false);
            auto re = std::make_shared<const RE2>(re_text, o);
            if (!re->ok()) {
              throw ConfigError(where(file, line_of(v[i])) + "bad cmdline regex \"" + re_text +
                                "\": " + re->error());
            }
            for (const auto& [group, index] : re->NamedCapturingGroups()) captures.insert(group);
            m.cmdlines.push_back(std::move(re));
            ++i;
          }
        }
      } else {
        throw ConfigError(where(file, line_of(kv.first)) + "unknown key \"" + key +
                          "\" (known: name, comm, exe, cmdline)");
      }
    }
    if (!m.has_comm && !m.has_exe && m.cmdlines.empty()) {
      throw ConfigError(where(file, m.line) + "no matchers provided (comm, exe or cmdline)");
    }
    try {
      m.name = parse_template(name_tmpl, captures);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where(file, name_line) + "bad name template \"" + name_tmpl +
                        "\": " + e.what());
    }
    for (const auto& p : m.name) {
      if (p.kind == Part::kUsername) cfg.needs_username_ = true;
      if (p.kind == Part::kCgroups) cfg.needs_cgroups_ = true;
      if (p.kind == Part::kExeBase || p.kind == Part::kExeFull) cfg.needs_cmdline_ = true;
    }
    if (m.has_exe) cfg.needs_cmdline_ = true;
    cfg.matchers_.push_back(std::move(m));
  }
  return cfg;
}

bool Config::match(const ProcAttrs& p, Scratch& s, std::string* name) const {
  // process-exporter splits the cmdline at NULs after dropping the trailing ones; an empty
  // file (kernel threads) is no arguments at all.
  std::string_view cmd = p.cmdline;
  bool has_args = !cmd.empty();
  while (!cmd.empty() && cmd.back() == '\0') cmd.remove_suffix(1);
  std::string_view argv0 = has_args ? cmd.substr(0, cmd.find('\0')) : std::string_view();
  bool joined_ready = false;
  for (const Matcher& m : matchers_) {
    if (m.has_comm && !m.comms.contains(p.comm)) continue;
    if (m.has_exe) {
      if (!has_args) continue;
      auto it = m.exes.find(path_base(argv0));
      if (it == m.exes.end() || (!it->second.empty() && it->second != argv0)) continue;
    }
    s.matches.clear();
    if (!m.cmdlines.empty()) {
      if (!joined_ready) {
        s.joined.assign(cmd);
        for (char& c : s.joined) {
          if (c == '\0') c = ' ';
        }
        joined_ready = true;
      }
      bool all = true;
      re2::StringPiece text(s.joined.data(), s.joined.size());
      for (const auto& re : m.cmdlines) {
        int n = re->NumberOfCapturingGroups();
        std::vector<re2::StringPiece> groups(static_cast<size_t>(n) + 1);
        if (!re->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(),
                       static_cast<int>(groups.size()))) {
          all = false;
          break;
        }
        for (const auto& [group, index] : re->NamedCapturingGroups()) {
          const auto& g = groups[static_cast<size_t>(index)];
          std::string value = g.data() ? std::string(g.data(), g.size()) : std::string();
          bool replaced = false;
          for (auto& kv : s.matches) {
            if (kv.first == group) {
              kv.second = value;
              replaced = true;
            }
          }
          if (!replaced) s.matches.emplace_back(group, std::move(value));
        }
      }
      if (!all) continue;
    }
    name->clear();
    std::string_view exe_full = has_args ? argv0 : p.comm;
    std::string_view exe_base = has_args ? path_base(argv0) : p.comm;
    for (const Part& part : m.name) {
      switch (part.kind) {
        case Part::kText:
          *name += part.text;
          break;
        case Part::kComm:
          *name += p.comm;
          break;
        case Part::kExeBase:
          *name += exe_base;
          break;
        case Part::kExeFull:
          *name += exe_full;
          break;
        case Part::kUsername:
          *name += p.username;
          break;
        case Part::kPid:
          *name += std::to_string(p.pid);
          break;
        case Part::kStartTime:
          *name += go_time_string(p.start_sec, p.start_nsec);
          break;
        case Part::kCgroups:
          *name += go_cgroups_string(p.cgroup_file);
          break;
        case Part::kMatch:
          for (const auto& kv : s.matches) {
            if (kv.first == part.text) *name += kv.second;
          }
          break;
      }
    }
    return true;
  }
  return false;
}

}  // namespace vitals::pgroups
