// Native (exponential) histogram bucket placement, as Prometheus defines it: with base
// 2^(2^-schema), bucket i holds the values in (base^(i-1), base^i], so a positive value v goes
// to bucket ceil(log2(v) * 2^schema). Computed exactly (frexp and a table of the bucket
// boundaries' mantissas) rather than with log2, so values on a boundary land in the lower
// bucket as they do in Prometheus' Go client.
#pragma once

#include <cstdint>
#include <span>

namespace vitals {

inline constexpr int kNativeMinSchema = -4;
inline constexpr int kNativeMaxSchema = 8;
// 2^-128, the Go client's default zero threshold.
inline constexpr double kNativeDefaultZeroThreshold = 2.938735877055719e-39;

// Bucket index of |v| (v finite, |v| > 0) for schema in [-4, 8].
int32_t native_bucket_index(double v, int schema);
// Upper bound of bucket `index` for `schema`: 2^(index * 2^-schema).
double native_bucket_upper_bound(int32_t index, int schema);
// Index of the bucket at schema - 1 that holds bucket `index` of schema.
inline int32_t native_coarser_index(int32_t index) {
  return (index + 1) >> 1;  // ceil(index / 2), also for negative indices
}

}  // namespace vitals
