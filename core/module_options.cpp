#include "core/module_options.h"

#include <algorithm>

namespace vitals {
namespace {

std::vector<ModuleSpec>& registry() {
  static std::vector<ModuleSpec> r;
  return r;
}

std::string& registry_error() {
  static std::string e;
  return e;
}

}  // namespace

bool ModuleRegistry::add(ModuleSpec spec) {
  auto& r = registry();
  auto it = std::lower_bound(r.begin(), r.end(), spec.name,
                             [](const ModuleSpec& s, const std::string& n) { return s.name < n; });
  if (it != r.end() && it->name == spec.name) {
    if (registry_error().empty()) registry_error() = "module registered twice: " + spec.name;
    return false;
  }
  r.insert(it, std::move(spec));
  return true;
}

const std::vector<ModuleSpec>& ModuleRegistry::all() {
  return registry();
}

const std::string& ModuleRegistry::error() {
  return registry_error();
}

}  // namespace vitals
