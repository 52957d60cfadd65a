#include "collectors/procfs/sysctl_values.h"

#include "core/parse.h"

namespace vitals::procfs {

std::string sysctl_path(std::string_view name) {
  std::string p = "sys/";
  for (char c : name) p.push_back(c == '.' ? '/' : c);
  return p;
}

void split_sysctl(std::string_view text, std::vector<std::string_view>& out) {
  out.clear();
  std::string_view f;
  while (parse::next_field(text, f)) out.push_back(f);
}

bool sysctl_ints(std::string_view text, std::vector<int64_t>& out, std::string* error) {
  out.clear();
  std::string_view f;
  while (parse::next_field(text, f)) {
    std::string_view digits = f;
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-') digits.remove_prefix(1);
    auto v = parse::to_i64(digits);  // Go's Atoi: optional sign, decimal digits
    if (!v) {
      *error = "invalid integer \"" + std::string(f.substr(0, 100)) + "\"";
      return false;
    }
    out.push_back(*v);
  }
  return true;
}

}  // namespace vitals::procfs
