// Options of modules that are not collectors (the APM receivers, for one). A module registers a
// ModuleSpec from its own .cpp (VITALS_REGISTER_MODULE), as a collector registers its
// CollectorSpec: each option becomes the flag --<module>.<option> and the config-file key of the
// same name, and core/ knows no module's flags. Adding an option touches the module's file only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"

namespace vitals {

// The raw, kind-checked values of one module's options (the same container collectors use).
using ModuleOptions = CollectorOptions;

struct ModuleSpec {
  std::string name;  // the flag prefix: --<name>.<option>
  // OptionDecl::name is the part after "<name>."; default_value is the text --help shows and
  // the value when the option is not given. The help text is shown as it is. kBool options
  // are --flag or --flag=<bool>; kInt values are 64-bit integers (Boost refuses others);
  // kStrings are repeatable; everything else is checked by `validate`.
  std::vector<OptionDecl> options;
  // Checks the values as a whole: "" when they are good, else the one-line error that names
  // the flag ("flag --apm.max-series: must be between 1 and 10000000").
  std::function<std::string(const ModuleOptions&)> validate;
};

class ModuleRegistry {
 public:
  // False (and remembered for error()) when a module of this name is already registered.
  static bool add(ModuleSpec spec);
  // All registered modules, sorted by name.
  static const std::vector<ModuleSpec>& all();
  // A registration problem to report at start-up, or "".
  static const std::string& error();
};

#define VITALS_REGISTER_MODULE(ident, ...)                       \
  [[maybe_unused]] static const bool ident##_module_registered = \
      ::vitals::ModuleRegistry::add(__VA_ARGS__)

}  // namespace vitals
