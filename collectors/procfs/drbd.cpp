#include "collectors/procfs/drbd.h"

#include <array>

namespace vitals::procfs {

namespace {

constexpr std::array<std::string_view, 12> kNumbers = {"ns", "nr", "dw", "dr", "al", "bm",
                                                       "lo", "pe", "ua", "ap", "ep", "oos"};

}  // namespace

DrbdStatus parse_drbd(std::string_view text) {
  DrbdStatus out;
  std::string_view device = "unknown";
  std::string_view line;
  int n = 0;
  // Device names are views into out.devices: count the devices first so the vector never
  // reallocates.
  size_t device_words = 0;
  {
    std::string_view t = text, l, w;
    while (parse::next_line(t, l)) {
      while (parse::next_field(l, w)) {
        size_t c = w.find(':');
        if (c != std::string_view::npos && c + 1 == w.size() && c > 0 &&
            parse::to_u64(w.substr(0, c))) {
          ++device_words;
        }
      }
    }
  }
  out.devices.reserve(device_words);
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, word;
    while (parse::next_field(rest, word)) {
      size_t c = word.find(':');
      if (c == std::string_view::npos || word.find(':', c + 1) != std::string_view::npos) {
        continue;  // not a "key:value" word
      }
      std::string_view key = word.substr(0, c), value = word.substr(c + 1);
      if (value.empty() && parse::to_u64(key)) {
        out.devices.push_back("drbd" + std::to_string(*parse::to_u64(key)));
        device = out.devices.back();
        continue;
      }
      DrbdValue v;
      v.device = device;
      v.key = key;
      bool known = false;
      for (auto k : kNumbers) known = known || k == key;
      if (known) {
        auto d = parse::to_double(value);
        if (!d) {
          out.errors.add(n, "invalid number", word);
          continue;
        }
        v.number = *d;
      } else if (key == "ro" || key == "ds") {
        size_t slash = value.find('/');
        if (slash == std::string_view::npos) {
          out.errors.add(n, "expected LOCAL/REMOTE", word);
          continue;
        }
        v.kind = DrbdValue::Kind::kPair;
        v.local = value.substr(0, slash);
        v.remote = value.substr(slash + 1);
        size_t second = v.remote.find('/');
        if (second != std::string_view::npos) v.remote = v.remote.substr(0, second);
      } else if (key == "cs") {
        v.kind = DrbdValue::Kind::kConnection;
        v.local = value;
      } else {
        continue;
      }
      out.values.push_back(v);
    }
  }
  return out;
}

}  // namespace vitals::procfs
