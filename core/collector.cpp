#include "core/collector.h"

#include <algorithm>
#include <stdexcept>

#include "core/duration.h"
#include "core/parse.h"

namespace vitals {
namespace {

std::vector<CollectorSpec>& registry() {
  static std::vector<CollectorSpec> specs;
  return specs;
}

}  // namespace

bool CollectorRegistry::add(CollectorSpec spec) {
  auto& r = registry();
  auto it =
      std::lower_bound(r.begin(), r.end(), spec.name,
                       [](const CollectorSpec& s, const std::string& n) { return s.name < n; });
  if (it != r.end() && it->name == spec.name) {
    throw std::logic_error("collector registered twice: " + spec.name);
  }
  r.insert(it, std::move(spec));
  return true;
}

const std::vector<CollectorSpec>& CollectorRegistry::all() {
  return registry();
}

const CollectorSpec* CollectorRegistry::find(std::string_view name) {
  for (const auto& s : registry()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const std::vector<std::string>& CollectorOptions::raw(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    throw std::logic_error("collector option not declared: " + std::string(name));
  }
  return it->second;
}

const std::string& CollectorOptions::str(std::string_view name) const {
  static const std::string empty;
  const auto& v = raw(name);
  return v.empty() ? empty : v.back();
}

const std::vector<std::string>& CollectorOptions::strs(std::string_view name) const {
  return raw(name);
}

bool CollectorOptions::boolean(std::string_view name) const {
  const std::string& s = str(name);
  return s == "true" || s == "1" || s == "yes" || s == "on";
}

int64_t CollectorOptions::integer(std::string_view name) const {
  auto v = parse::to_i64(str(name));
  return v ? *v : 0;
}

std::chrono::nanoseconds CollectorOptions::duration(std::string_view name) const {
  std::chrono::nanoseconds d{0};
  parse_duration(str(name), &d);
  return d;
}

Regex CollectorOptions::regex(std::string_view name) const {
  return Regex(str(name));
}

bool CollectorOptions::is_set(std::string_view name) const {
  auto it = explicit_.find(name);
  return it != explicit_.end() && it->second;
}

void CollectorOptions::set(std::string name, std::vector<std::string> values, bool explicitly) {
  explicit_[name] = explicitly;
  values_[std::move(name)] = std::move(values);
}

}  // namespace vitals
