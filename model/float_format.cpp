#include "model/float_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace vitals {

void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[40];
  if (v == std::trunc(v) && std::fabs(v) < 1e6) {
    if (v == 0 && std::signbit(v)) {
      out.append("-0");
      return;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits; exponent form when exp < -4 || exp >= 6, as Go's 'g' with
  // precision -1 chooses (eprec is 6 for the shortest representation).
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) {
    out.append(sci);
    return;
  }
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

}  // namespace vitals
