// The pure sysfs parsers and helpers (collectors/sysfs/, and the kernel cpu lists of
// /sys/devices/system/cpu/*), one target for the family: the first byte picks the parser ('A' +
// index), the rest is the text (a file's content or a directory entry's name). One binary for
// the same reasons as procfs_fuzz.cpp. Checks: what each helper promises about its output
// (UTF-8, character sets, trimming), Go ParseInt agreement on plain decimals, and the netclass
// writer over interfaces built from fuzzed attribute values.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "collectors/procfs/cpuinfo.h"
#include "collectors/sysfs/hwmon.h"
#include "collectors/sysfs/netclass.h"
#include "collectors/sysfs/sysfs.h"
#include "model/metric.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace vitals;

// Splits `t` at the first NUL: the fuzzer's way of giving a helper two strings.
std::pair<std::string_view, std::string_view> two(std::string_view t) {
  size_t z = t.find('\0');
  if (z == std::string_view::npos) return {t, {}};
  return {t.substr(0, z), t.substr(z + 1)};
}

using Parser = void (*)(std::string_view);

const Parser kParsers[] = {
    // A: Go's strconv.ParseInt(s, 0, 64), every integer attribute file
    [](std::string_view t) {
      auto v = sysfs::parse_int_base0(t);
      bool plain = !t.empty() && t.size() < 30 && t[0] >= '1' && t[0] <= '9' &&
                   t.find_first_not_of("0123456789") == std::string_view::npos;
      if (plain) {
        std::string s(t);
        errno = 0;
        long long want = std::strtoll(s.c_str(), nullptr, 10);
        VITALS_FUZZ_CHECK(v.has_value() == (errno == 0));
        if (v) VITALS_FUZZ_CHECK(*v == want);
      }
    },
    // B: strings.ToValidUTF8 (label values from attribute files)
    [](std::string_view t) {
      std::string u = sysfs::to_valid_utf8(t);
      VITALS_FUZZ_CHECK(fuzz::valid_utf8(u));
      if (fuzz::valid_utf8(t)) VITALS_FUZZ_CHECK(u == t);
      VITALS_FUZZ_CHECK(sysfs::to_valid_utf8(u) == u);
    },
    // C: strings.TrimSpace
    [](std::string_view t) {
      std::string_view s = sysfs::trim_space(t);
      VITALS_FUZZ_CHECK(fuzz::inside(s, t));
      if (!s.empty()) {
        VITALS_FUZZ_CHECK(sysfs::trim_space(s) == s);
      }
    },
    // D: numeric suffixes of directory names ("cpu12", "hwmon3")
    [](std::string_view t) {
      auto [prefix, name] = two(t);
      auto n = sysfs::numeric_suffix(name, prefix);
      if (n) {
        VITALS_FUZZ_CHECK(!n->empty() && fuzz::inside(*n, name));
        VITALS_FUZZ_CHECK(n->find_first_not_of("0123456789") == std::string_view::npos);
      }
    },
    // E: hwmon sensor file names ("temp1_crit_alarm")
    [](std::string_view t) {
      auto f = sysfs::explode_sensor_filename(t);
      if (f) {
        VITALS_FUZZ_CHECK(!f->type.empty() && f->num >= 0);
        VITALS_FUZZ_CHECK(f->type.find_first_of("0123456789") == std::string::npos);
      }
    },
    // F: hwmon chip and sensor names as metric name parts
    [](std::string_view t) {
      std::string n = sysfs::clean_metric_name(t);
      VITALS_FUZZ_CHECK(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789:_") ==
                        std::string::npos);
      VITALS_FUZZ_CHECK(n.empty() || (n.front() != '_' && n.back() != '_'));
    },
    // G: hwmon metric naming for a sensor type and element
    [](std::string_view t) {
      auto [type, element] = two(t);
      (void)sysfs::is_hwmon_sensor_type(type);
      sysfs::HwmonMetric m;
      for (bool bare : {false, true}) {
        if (sysfs::hwmon_metric(type, element, bare, &m)) {
          VITALS_FUZZ_CHECK(!m.name.empty() && std::isfinite(m.scale));
        }
      }
    },
    // H: netclass attribute files: NUL-separated values, one per attribute in order, then the
    // netclass families written from the interface
    [](std::string_view t) {
      const auto& attrs = sysfs::netclass_attrs();
      std::vector<sysfs::NetClassIface> ifaces(1);
      ifaces[0].name = "eth0";
      std::string_view rest = t;
      for (size_t i = 0; i < attrs.size() && !rest.empty(); ++i) {
        auto [value, next] = two(rest);
        rest = next;
        std::string error;
        if (!sysfs::set_net_attr(ifaces[0], i, sysfs::trim_space(value), &error)) {
          VITALS_FUZZ_CHECK(!error.empty());
        }
      }
      for (bool ignore_invalid_speed : {false, true}) {
        MetricSet out;
        sysfs::emit_netclass(ifaces, ignore_invalid_speed, out);
        for (const Family& f : out.families()) {
          for (const Sample& s : f.samples()) {
            for (uint32_t i = 0; i < s.label_count; ++i) {
              VITALS_FUZZ_CHECK(fuzz::valid_utf8(f.label(s, i).value));
            }
          }
        }
      }
    },
    // I: kernel cpu lists ("0-3,8"), /sys/devices/system/cpu/{isolated,online,...}
    [](std::string_view t) {
      std::vector<unsigned> cpus;
      std::string error;
      if (!procfs::parse_cpu_list(t, &cpus, &error)) VITALS_FUZZ_CHECK(!error.empty());
    },
};
constexpr size_t kCount = sizeof kParsers / sizeof kParsers[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  kParsers[vitals::fuzz::selector(data[0], kCount)](vitals::fuzz::as_text(data + 1, size - 1));
  return 0;
}
