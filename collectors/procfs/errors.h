// Error text shared by the /proc parsers: "line N: <what> in "<line>"".
#pragma once

#include <string>
#include <string_view>

namespace vitals::procfs {

inline std::string line_error(int n, std::string_view what, std::string_view line) {
  std::string s = "line " + std::to_string(n) + ": ";
  s.append(what);
  s += " in \"";
  s.append(line.substr(0, 100));
  s += '"';
  return s;
}

}  // namespace vitals::procfs
