#include "collectors/procfs/pid_stat.h"

#include "core/parse.h"

namespace vitals::procfs {

std::optional<PidStat> parse_pid_stat(std::string_view text, std::string* error) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) {
    *error = "no ')' after the command name";
    return std::nullopt;
  }
  std::string_view rest = text.substr(close + 1), f;
  PidStat s;
  // Field 3 is the state, field 20 num_threads (1-based, as proc(5) numbers them).
  for (int field = 3; field <= 20; ++field) {
    if (!parse::next_field(rest, f)) {
      *error = "only " + std::to_string(field - 1) + " fields";
      return std::nullopt;
    }
    if (field == 3) {
      if (f.size() != 1) {
        *error = "invalid state \"" + std::string(f) + "\"";
        return std::nullopt;
      }
      s.state = f[0];
    } else if (field == 20) {
      auto v = parse::to_i64(f);
      if (!v) {
        *error = "invalid num_threads \"" + std::string(f) + "\"";
        return std::nullopt;
      }
      s.num_threads = double(*v);
    }
  }
  return s;
}

}  // namespace vitals::procfs
