// Port include/exclude filters of the sockets collector: comma-separated ports and ranges
// ("22,80,443,8000-8999"), looked up in a 64 Ki-bit set (one bit test per socket).
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

namespace vitals::net {

class PortSet {
 public:
  // Parses "p", "a-b" items separated by commas (spaces allowed). Empty text is an empty set.
  // Returns false with *error naming the bad item.
  bool parse(std::string_view text, std::string* error);
  bool contains(uint16_t port) const { return bits_.test(port); }
  size_t count() const { return bits_.count(); }

 private:
  std::bitset<65536> bits_;
};

class PortFilter {
 public:
  // At most one of include/exclude may be non-empty. Returns false with *error otherwise or when
  // a list does not parse.
  bool init(std::string_view include, std::string_view exclude, std::string* error);
  bool allowed(uint16_t port) const { return allowed_.test(port); }

 private:
  std::bitset<65536> allowed_;
};

}  // namespace vitals::net
