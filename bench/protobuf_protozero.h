// exporter/protobuf_format.cpp's delimited MetricFamily writer written over
// protozero::pbf_writer (libprotozero-dev): the same fields in the same order, so the output is
// byte-for-byte the same (formats_bench checks it). Kept in bench/ so formats_bench can compare
// the two (docs/formats.md, "protozero"). pbf_writer drops an empty sub-message, so a Timestamp
// at exactly the epoch is written with an explicit seconds = 0.
#pragma once

#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>

#include <cmath>
#include <span>
#include <string>

#include "model/metric.h"

namespace vitals::bench::pz {

using protozero::pbf_writer;

inline uint64_t to_count(double c) {
  return c <= 0 || std::isnan(c) ? 0 : static_cast<uint64_t>(c);
}

inline void add_sv(pbf_writer& w, protozero::pbf_tag_type tag, std::string_view s) {
  w.add_bytes(tag, s.data(), s.size());
}

inline void timestamp(pbf_writer& parent, protozero::pbf_tag_type tag, int64_t ms) {
  pbf_writer t(parent, tag);
  int64_t sec = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    sec -= 1;
  }
  // seconds is written also when both are 0: pbf_writer drops an empty sub-message, and an
  // absent created timestamp is not one at the epoch.
  if (sec || !rem) t.add_uint64(1, static_cast<uint64_t>(sec));
  if (rem) t.add_uint64(2, static_cast<uint64_t>(rem * 1000000));
}

inline void exemplar(pbf_writer& parent, protozero::pbf_tag_type tag, const Family& f,
                     const ExemplarRef& x) {
  pbf_writer e(parent, tag);
  for (uint32_t i = 0; i < x.label_count; ++i) {
    Label l = f.exemplar_label(x, i);
    pbf_writer lp(e, 1);
    add_sv(lp, 1, l.name);
    add_sv(lp, 2, l.value);
  }
  e.add_double(2, x.value);
  if (x.timestamp_ms != kNoTimestamp) timestamp(e, 3, x.timestamp_ms);
}

inline void spans(pbf_writer& h, protozero::pbf_tag_type tag, std::span<const BucketSpan> ss) {
  for (const BucketSpan& s : ss) {
    pbf_writer b(h, tag);
    b.add_sint64(1, s.offset);
    b.add_uint64(2, s.length);
  }
}

inline uint32_t proto_type(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return 0;
    case MetricType::kGauge:
      return 1;
    case MetricType::kSummary:
      return 2;
    case MetricType::kUntyped:
      return 3;
    case MetricType::kHistogram:
      return 4;
  }
  return 3;
}

inline void metric(pbf_writer& mf, const Family& f, const Sample& s) {
  pbf_writer m(mf, 4);
  for (uint32_t i = 0; i < s.label_count; ++i) {
    Label l = f.label(s, i);
    pbf_writer lp(m, 1);
    add_sv(lp, 1, l.name);
    add_sv(lp, 2, l.value);
  }
  switch (f.type()) {
    case MetricType::kCounter: {
      pbf_writer c(m, 3);
      c.add_double(1, s.value);
      if (s.exemplar_count) exemplar(c, 2, f, f.exemplars(s)[0]);
      if (s.created_ms != kNoTimestamp) timestamp(c, 3, s.created_ms);
      break;
    }
    case MetricType::kGauge: {
      pbf_writer g(m, 2);
      g.add_double(1, s.value);
      break;
    }
    case MetricType::kUntyped: {
      pbf_writer u(m, 5);
      u.add_double(1, s.value);
      break;
    }
    case MetricType::kSummary: {
      pbf_writer sm(m, 4);
      sm.add_uint64(1, to_count(s.count));
      sm.add_double(2, s.value);
      for (const Bucket& q : f.buckets(s)) {
        pbf_writer qb(sm, 3);
        qb.add_double(1, q.upper_bound);
        qb.add_double(2, q.count);
      }
      if (s.created_ms != kNoTimestamp) timestamp(sm, 4, s.created_ms);
      break;
    }
    case MetricType::kHistogram: {
      pbf_writer h(m, 7);
      h.add_uint64(1, to_count(s.count));
      h.add_double(2, s.value);
      auto buckets = f.buckets(s);
      auto exemplars = f.exemplars(s);
      size_t xi = 0;
      auto bucket = [&](double ub, double count, uint32_t idx) {
        pbf_writer b(h, 3);
        b.add_uint64(1, to_count(count));
        b.add_double(2, ub);
        while (xi < exemplars.size() && exemplars[xi].bucket < idx) ++xi;
        if (xi < exemplars.size() && exemplars[xi].bucket == idx) exemplar(b, 3, f, exemplars[xi]);
      };
      bool has_inf = false;
      for (uint32_t i = 0; i < buckets.size(); ++i) {
        bucket(buckets[i].upper_bound, buckets[i].count, i);
        has_inf = has_inf || std::isinf(buckets[i].upper_bound);
      }
      auto inf = static_cast<uint32_t>(buckets.size());
      if (!has_inf && !exemplars.empty() && exemplars.back().bucket == inf) {
        bucket(INFINITY, s.count, inf);
      }
      if (const NativeHistogram* nh = f.native(s)) {
        h.add_sint64(5, nh->schema);
        h.add_double(6, nh->zero_threshold);
        h.add_uint64(7, nh->zero_count);
        spans(h, 9, f.negative_spans(*nh));
        for (int64_t d : f.negative_deltas(*nh)) h.add_sint64(10, d);
        spans(h, 12, f.positive_spans(*nh));
        for (int64_t d : f.positive_deltas(*nh)) h.add_sint64(13, d);
      }
      if (s.created_ms != kNoTimestamp) timestamp(h, 15, s.created_ms);
      break;
    }
  }
  if (s.timestamp_ms != kNoTimestamp) m.add_uint64(6, static_cast<uint64_t>(s.timestamp_ms));
}

// A family is built in a scratch buffer, then its length and bytes are appended: the delimiter
// has no tag, which pbf_writer does not write.
inline void write_protobuf_protozero(std::span<const Family* const> families, std::string& out) {
  thread_local std::string buf;
  for (const Family* fp : families) {
    const Family& f = *fp;
    if (f.empty()) continue;
    buf.clear();
    {
      pbf_writer mf(buf);
      add_sv(mf, 1, f.name());
      if (!f.help().empty()) add_sv(mf, 2, f.help());
      mf.add_uint64(3, proto_type(f.type()));  // enum as varint, as the hand-written writer
      for (const Sample& s : f.samples()) metric(mf, f, s);
      if (!f.unit().empty()) add_sv(mf, 5, f.unit());
    }
    protozero::add_varint_to_buffer(&out, buf.size());
    out.append(buf);
  }
}

}  // namespace vitals::bench::pz
