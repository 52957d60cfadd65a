#include "collectors/procfs/loadavg.h"

#include "core/parse.h"

namespace vitals::procfs {

std::optional<LoadAvg> parse_loadavg(std::string_view text, std::string* error) {
  std::string_view rest = text, f;
  double v[3];
  for (int i = 0; i < 3; ++i) {
    if (!parse::next_field(rest, f)) {
      *error = "expected 3 load averages, got " + std::to_string(i);
      return std::nullopt;
    }
    auto d = parse::to_double(f);
    if (!d) {
      *error = "field " + std::to_string(i + 1) + ": invalid number \"" + std::string(f) + "\"";
      return std::nullopt;
    }
    v[i] = *d;
  }
  return LoadAvg{v[0], v[1], v[2]};
}

}  // namespace vitals::procfs
