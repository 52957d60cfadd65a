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

std::vector<std::string>& registry_errors() {
  static std::vector<std::string> errors;
  return errors;
}

// "collectors/meminfo.cpp" of a __FILE__ that may be absolute.
std::string_view short_source(std::string_view f) {
  size_t at = f.rfind("collectors/");
  return at == std::string_view::npos ? f : f.substr(at);
}

}  // namespace

std::optional<std::string> CollectorRegistry::add_to(std::vector<CollectorSpec>& r,
                                                     CollectorSpec spec) {
  auto it =
      std::lower_bound(r.begin(), r.end(), spec.name,
                       [](const CollectorSpec& s, const std::string& n) { return s.name < n; });
  if (it != r.end() && it->name == spec.name) {
    return "collector " + spec.name + " registered twice (" + it->source + " and " + spec.source +
           ")";
  }
  r.insert(it, std::move(spec));
  return std::nullopt;
}

bool CollectorRegistry::add(CollectorSpec spec, std::string_view source) {
  if (!source.empty()) spec.source = std::string(short_source(source));
  if (spec.source.empty()) spec.source = "unknown source";
  auto err = add_to(registry(), std::move(spec));
  if (err) registry_errors().push_back(std::move(*err));
  return !err;
}

const std::vector<std::string>& CollectorRegistry::errors() {
  return registry_errors();
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
