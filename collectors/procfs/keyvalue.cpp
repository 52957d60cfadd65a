#include "collectors/procfs/keyvalue.h"

#include "collectors/procfs/errors.h"
#include "core/parse.h"

namespace vitals::procfs {

void parse_key_values(std::string_view text, KeyValues* out) {
  out->values.clear();
  out->errors.clear();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, key, val, extra;
    if (!parse::next_field(rest, key)) continue;
    if (!parse::next_field(rest, val) || parse::next_field(rest, extra)) {
      out->errors.push_back(line_error(n, "expected \"name value\"", line));
      continue;
    }
    auto v = parse::to_double(val);
    if (!v) {
      out->errors.push_back(line_error(n, "invalid value", line));
      continue;
    }
    out->values.push_back({key, *v});
  }
}

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
