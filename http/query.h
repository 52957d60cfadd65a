// URL query strings: "a=1&b=x+y&c%5B%5D=z" into decoded key/value pairs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitals {

// Decodes %XX escapes and '+' (a space); a '%' not followed by two hex digits stays as it is.
std::string url_decode(std::string_view s);

// Splits a query string into decoded key/value pairs, in order; a key without '=' has an empty
// value, empty items ("a=1&&b=2") are skipped.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view q);

}  // namespace vitals
