// Runs the agent's flag parser on `args` as if they followed "vitals" on the command line.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace vitals {

inline ConfigResult parse_args(std::vector<std::string> args) {
  args.insert(args.begin(), "vitals");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

}  // namespace vitals
