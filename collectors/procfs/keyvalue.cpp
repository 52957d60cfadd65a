#include "collectors/procfs/keyvalue.h"

#include "core/parse.h"

namespace vitals::procfs {

bool parse_file_nr(std::string_view text, FileNr* out, std::string* error) {
  text = parse::trim(text);
  std::string_view f[3], extra;
  int got = 0;
  while (got < 3 && parse::next_field(text, f[got])) ++got;
  if (got != 3 || parse::next_field(text, extra)) {
    *error = "expected 3 fields";
    return false;
  }
  auto a = parse::to_u64(f[0]), m = parse::to_u64(f[2]);
  if (!a || !m) {
    *error = "invalid number";
    return false;
  }
  out->allocated = double(*a);
  out->maximum = double(*m);
  return true;
}

}  // namespace vitals::procfs
