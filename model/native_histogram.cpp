#include "model/native_histogram.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace vitals {
namespace {

// bounds[schema][i] = 2^(i / 2^schema - 1): the mantissa (in [0.5, 1)) of bucket boundaries.
// Computed in long double and rounded once, which gives the correctly rounded doubles.
const std::array<std::vector<double>, kNativeMaxSchema + 1>& bounds() {
  static const auto table = [] {
    std::array<std::vector<double>, kNativeMaxSchema + 1> t;
    for (int s = 1; s <= kNativeMaxSchema; ++s) {
      int n = 1 << s;
      for (int i = 0; i < n; ++i) {
        t[s].push_back(static_cast<double>(std::exp2l(static_cast<long double>(i) / n - 1.0L)));
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

int32_t native_bucket_index(double v, int schema) {
  int exp = 0;
  double frac = std::frexp(std::fabs(v), &exp);
  if (schema > 0) {
    const std::vector<double>& b = bounds()[schema];
    auto i = static_cast<int32_t>(std::lower_bound(b.begin(), b.end(), frac) - b.begin());
    return i + (exp - 1) * static_cast<int32_t>(b.size());
  }
  int32_t key = exp;
  if (frac == 0.5) --key;  // v is a power of two: the upper bound of the bucket below
  int32_t offset = (1 << -schema) - 1;
  return (key + offset) >> -schema;
}

double native_bucket_upper_bound(int32_t index, int schema) {
  if (schema <= 0) return std::ldexp(1.0, index << -schema);
  int32_t n = 1 << schema;
  int32_t exp = index >= 0 ? index / n : -((-index + n - 1) / n);
  int32_t frac_i = index - exp * n;
  return std::ldexp(frac_i == 0 ? 1.0 : bounds()[schema][frac_i] * 2, exp);
}

}  // namespace vitals
