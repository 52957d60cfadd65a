#include "core/regex.h"

#include <re2/re2.h>

#include <stdexcept>

namespace vitals {
namespace {

// Go's regexp defaults: Perl classes and \b, UTF-8, '.' not matching '\n', ^ and $ at the ends
// of the text; errors are returned, not logged by RE2 to stderr.
RE2::Options go_options() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

}  // namespace

Regex::Regex(std::string_view pattern)
    : re_(std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()),
                                      go_options())) {
  if (!re_->ok()) throw std::invalid_argument(re_->error());
}

std::string Regex::error(std::string_view pattern) {
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), go_options());
  return re.ok() ? std::string() : re.error();
}

bool Regex::search(std::string_view text) const {
  return re_ && RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

const std::string& Regex::pattern() const {
  static const std::string kNone;
  return re_ ? re_->pattern() : kNone;
}

}  // namespace vitals
