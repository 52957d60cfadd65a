// Regular expressions with node_exporter's syntax: its flags are Go regexps (RE2 syntax:
// (?i), \pL, (?P<name>...), no backreferences or lookaround), so vitals compiles them with RE2
// (libre2) and matches as Go's MatchString does: anywhere in the text unless the pattern
// anchors itself (^...$).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace vitals {

class Regex {
 public:
  // Unset: matches nothing, and `bool(regex)` is false.
  Regex() = default;
  // Throws std::invalid_argument with RE2's error text when `pattern` does not compile.
  explicit Regex(std::string_view pattern);

  // RE2's error text for `pattern`, or "" when it compiles.
  static std::string error(std::string_view pattern);

  // Go's MatchString: true when the pattern matches some part of `text`. Allocates nothing
  // once warm (RE2 keeps its DFA states per compiled pattern); safe to call from many threads.
  bool search(std::string_view text) const;

  explicit operator bool() const { return re_ != nullptr; }
  const std::string& pattern() const;

 private:
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace vitals
