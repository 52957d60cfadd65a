#include "collectors/sysfs/tape.h"

#include "core/parse.h"

namespace vitals::sysfs {

std::optional<uint64_t> parse_tape_counter(std::string_view text) {
  return parse::to_u64(parse::trim(text));
}

bool is_tape_device(std::string_view name) {
  if (name.size() < 3 || name.substr(0, 2) != "st") return false;
  for (char c : name.substr(2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace vitals::sysfs
