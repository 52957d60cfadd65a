#include "core/regex.h"

#include <re2/re2.h>

#include <cstdint>
#include <stdexcept>

namespace vitals {
namespace {

// RE2's memory budget per pattern (compiled program plus DFA state cache). Its default, 8 MiB,
// lets the DFA cache of netstat's default field pattern grow to ~120 KB while NameCache matches
// each field name once; 128 KiB keeps it near 30 KB (RE2 then matches that pattern with its
// NFA, ~1 us a name, once per name). Simple per-scrape patterns (device names, CPU flags) stay
// on the DFA. A pattern too large for the small budget is compiled with RE2's default.
constexpr int64_t kSmallMem = 128 << 10;
constexpr int64_t kLargeMem = 8 << 20;

// Go's regexp defaults: Perl classes and \b, UTF-8, '.' not matching '\n', ^ and $ at the ends
// of the text; errors are returned, not logged by RE2 to stderr.
RE2::Options go_options(int64_t max_mem) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(max_mem);
  return o;
}

std::shared_ptr<const RE2> compile(std::string_view pattern) {
  const re2::StringPiece p(pattern.data(), pattern.size());
  auto re = std::make_shared<const RE2>(p, go_options(kSmallMem));
  if (re->error_code() == RE2::ErrorPatternTooLarge) {
    re = std::make_shared<const RE2>(p, go_options(kLargeMem));
  }
  return re;
}

}  // namespace

Regex::Regex(std::string_view pattern) : re_(compile(pattern)) {
  if (!re_->ok()) throw std::invalid_argument(re_->error());
}

std::string Regex::error(std::string_view pattern) {
  auto re = compile(pattern);
  return re->ok() ? std::string() : re->error();
}

bool Regex::search(std::string_view text) const {
  return re_ && RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

const std::string& Regex::pattern() const {
  static const std::string kNone;
  return re_ ? re_->pattern() : kNone;
}

}  // namespace vitals
