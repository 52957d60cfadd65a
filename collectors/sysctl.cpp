// sysctl: chosen /proc/sys values (node_exporter 1.5.0's --collector.sysctl.include and
// include-info). "NAME" exports node_sysctl_<NAME> (one value) or node_sysctl_<NAME>{index}
// (several); "NAME:k1,k2,..." exports node_sysctl_<NAME>_<k> per field; include-info values
// become node_sysctl_info{name,value,index} 1. Names, paths and HELP texts are worked out once.
#include <cerrno>
#include <cstring>

#include "collectors/procfs/sysctl_values.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_sysctl_info", "sysctl info", MetricType::kGauge};

// node_exporter's SanitizeMetricName: each run of characters outside [0-9A-Za-z_], with the
// underscores around it, becomes one '_'.
std::string sanitize(std::string_view s) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (ok(s[i]) && s[i] != '_') {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] == '_') ++j;
    if (j < s.size() && !ok(s[j])) {
      while (j < s.size() && !ok(s[j])) ++j;
      while (j < s.size() && s[j] == '_') ++j;
      while (!out.empty() && out.back() == '_') out.pop_back();
      out.push_back('_');
    } else {
      out.append(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

struct Sysctl {
  bool numeric = true;
  std::string name;  // "fs.file-nr"
  std::string path;
  std::string metric;  // "node_sysctl_fs_file_nr"
  std::string help;    // "sysctl fs.file-nr"
  std::vector<std::string> keys;
  std::vector<std::string> key_metrics;  // metric + "_" + key
  std::vector<std::string> key_helps;    // "sysctl fs.file-nr, field i"
};

class SysctlCollector final : public Collector {
 public:
  SysctlCollector(const CollectorOptions& o, const Paths& p) {
    auto add = [&](const std::string& include, bool numeric) {
      Sysctl s;
      s.numeric = numeric;
      size_t colon = include.find(':');
      s.name = include.substr(0, colon);
      s.path = p.proc(procfs::sysctl_path(s.name));
      s.metric = "node_sysctl_" + sanitize(s.name);
      s.help = "sysctl " + s.name;
      if (colon != std::string::npos) {
        std::string_view keys = std::string_view(include).substr(colon + 1);
        for (;;) {
          size_t comma = keys.find(',');
          s.keys.emplace_back(keys.substr(0, comma));
          if (comma == std::string_view::npos) break;
          keys.remove_prefix(comma + 1);
        }
        for (size_t i = 0; i < s.keys.size(); ++i) {
          s.key_metrics.push_back(s.metric + "_" + s.keys[i]);
          s.key_helps.push_back(s.help + ", field " + std::to_string(i));
        }
      }
      sysctls_.push_back(std::move(s));
    };
    for (const auto& i : o.strs("include")) add(i, true);
    for (const auto& i : o.strs("include-info")) add(i, false);
  }

  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    Family* info = nullptr;
    for (const Sysctl& s : sysctls_) {
      std::string_view text;
      int err = 0;
      if (!reader_.try_read(s.path, &text, &err)) {
        errors.add_file(s.path, std::string("sysctl ") + s.name + ": " + std::strerror(err));
        continue;
      }
      size_t length;
      if (s.numeric) {
        std::string message;
        if (!procfs::sysctl_ints(text, ints_, &message)) {
          errors.add_file(s.path, "sysctl " + s.name + ": " + message);
          continue;
        }
        length = ints_.size();
      } else {
        procfs::split_sysctl(text, strings_);
        length = strings_.size();
      }
      if (length == 0) {
        errors.add_file(s.path, "sysctl " + s.name + ": no value");
        continue;
      }
      if (!s.keys.empty() && length == 1) {
        errors.add_file(s.path, "sysctl " + s.name + " has only one value, but keys were given");
        continue;
      }
      if (!s.keys.empty() && length != s.keys.size()) {
        errors.add_file(s.path, "sysctl " + s.name + ": got " + std::to_string(length) +
                                    " values but expected " + std::to_string(s.keys.size()) +
                                    " keys");
        continue;
      }
      if (!s.numeric) {
        if (!s.keys.empty() && length > 1) {
          errors.add_file(s.path, "sysctl " + s.name + ": mapped string values not supported");
          continue;
        }
        if (!info) info = &out.add(kInfo);
        for (size_t i = 0; i < length; ++i) {
          index_ = std::to_string(i);
          info->add({{"name", s.name}, {"value", strings_[i]}, {"index", index_}}, 1);
        }
      } else if (length == 1 || s.keys.empty()) {
        Family& f = out.add(s.metric, s.help, MetricType::kUntyped);
        if (length == 1) {
          f.add(static_cast<double>(ints_[0]));
        } else {
          for (size_t i = 0; i < length; ++i) {
            index_ = std::to_string(i);
            f.add({{"index", index_}}, static_cast<double>(ints_[i]));
          }
        }
      } else {
        for (size_t i = 0; i < length; ++i) {
          out.add(s.key_metrics[i], s.key_helps[i], MetricType::kUntyped)
              .add(static_cast<double>(ints_[i]));
        }
      }
    }
    throw_if_errors("", errors);
  }

 private:
  std::vector<Sysctl> sysctls_;
  FileReader reader_{4096};
  std::vector<int64_t> ints_;
  std::vector<std::string_view> strings_;
  std::string index_;
};

}  // namespace

VITALS_COLLECTOR(SysctlCollector, "sysctl", false, "Exposes chosen sysctl values from /proc/sys.",
                 {{"include", OptionKind::kStrings, "", "Select sysctl metrics to include."},
                  {"include-info", OptionKind::kStrings, "",
                   "Select sysctl metrics to include as info metrics."}});

}  // namespace vitals
