// os-release(5) parsing: KEY=value lines, values optionally in single or double quotes with
// shell-style backslash escapes inside double quotes; comments and blank lines ignored.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::rootfs {

struct OsRelease {
  std::map<std::string, std::string> fields;
  parse::ParseErrors errors;  // "line N: ..."
};

OsRelease parse_os_release(std::string_view text);

// The leading "major[.minor]" of VERSION_ID as a number ("20.04" -> 20.04, "12" -> 12,
// "22.04.1" -> 22.04); 0 when VERSION_ID does not start with a digit.
double os_version_number(std::string_view version_id);

}  // namespace vitals::rootfs
