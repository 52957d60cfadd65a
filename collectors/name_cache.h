// Per-collector cache of dynamically named families (netstat, vmstat, sockstat): the field
// regex runs once per distinct field name, not once per line per scrape, and the family's name
// and help text are built once.
#pragma once

#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vitals {

class NameCache {
 public:
  struct Entry {
    bool keep = true;
    std::string name;
    std::string help;
  };

  // `filter` (optional) must match the field for it to be kept (std::regex_search, as Go's
  // MatchString). `make` fills name and help of a kept field.
  explicit NameCache(std::optional<std::regex> filter = std::nullopt)
      : filter_(std::move(filter)) {}

  template <typename Make>
  const Entry& get(std::string_view field, Make&& make) {
    auto it = map_.find(field);
    if (it != map_.end()) return it->second;
    Entry e;
    e.keep = !filter_ || std::regex_search(field.begin(), field.end(), *filter_);
    if (e.keep) make(e);
    // Bound the cache: kernel files have a fixed, small set of field names.
    if (map_.size() > 4096) map_.clear();
    return map_.emplace(std::string(field), std::move(e)).first->second;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::optional<std::regex> filter_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
};

}  // namespace vitals
