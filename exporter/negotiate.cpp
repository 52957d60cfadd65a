#include "exporter/negotiate.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/parse.h"
#include "exporter/openmetrics_format.h"
#include "exporter/protobuf_format.h"
#include "exporter/text_format.h"

namespace vitals {
namespace {

struct MediaRange {
  std::string_view type, subtype;
  std::string_view version, proto, encoding;
  double q = 1;
  int specificity = 0;  // 0: */*, 1: type/*, 2: type/subtype
  size_t order = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

std::vector<MediaRange> parse_accept(std::string_view h) {
  std::vector<MediaRange> out;
  while (!h.empty()) {
    size_t comma = h.find(',');
    std::string_view part = h.substr(0, comma);
    h = comma == std::string_view::npos ? std::string_view{} : h.substr(comma + 1);
    size_t semi = part.find(';');
    std::string_view mt = trim(part.substr(0, semi));
    size_t slash = mt.find('/');
    if (mt.empty() || slash == std::string_view::npos) continue;
    MediaRange r;
    r.type = trim(mt.substr(0, slash));
    r.subtype = trim(mt.substr(slash + 1));
    r.specificity = r.type == "*" ? 0 : r.subtype == "*" ? 1 : 2;
    std::string_view params =
        semi == std::string_view::npos ? std::string_view{} : part.substr(semi + 1);
    while (!params.empty()) {
      size_t s = params.find(';');
      std::string_view kv = params.substr(0, s);
      params = s == std::string_view::npos ? std::string_view{} : params.substr(s + 1);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view k = trim(kv.substr(0, eq)), v = unquote(trim(kv.substr(eq + 1)));
      if (iequals(k, "q")) {
        auto q = parse::to_double(v);
        r.q = q && *q >= 0 && *q <= 1 ? *q : 0;
      } else if (iequals(k, "version")) {
        r.version = v;
      } else if (iequals(k, "proto")) {
        r.proto = v;
      } else if (iequals(k, "encoding")) {
        r.encoding = v;
      }
    }
    r.order = out.size();
    if (r.q > 0) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    return a.specificity > b.specificity;
  });
  return out;
}

}  // namespace

ExpositionFormat negotiate_format(std::string_view accept) {
  for (const MediaRange& r : parse_accept(accept)) {
    if (iequals(r.type, "application") && iequals(r.subtype, "vnd.google.protobuf") &&
        r.proto == "io.prometheus.client.MetricFamily" && r.encoding == "delimited") {
      return ExpositionFormat::kProtobufDelimited;
    }
    if (iequals(r.type, "text") && iequals(r.subtype, "plain") &&
        (r.version.empty() || r.version == "0.0.4")) {
      return ExpositionFormat::kText004;
    }
    if (iequals(r.type, "application") && iequals(r.subtype, "openmetrics-text")) {
      if (r.version.empty() || r.version == "1.0.0") return ExpositionFormat::kOpenMetrics100;
      if (r.version == "0.0.1") return ExpositionFormat::kOpenMetrics001;
    }
  }
  return ExpositionFormat::kText004;
}

std::string_view content_type(ExpositionFormat f) {
  switch (f) {
    case ExpositionFormat::kText004:
      return kTextContentType;
    case ExpositionFormat::kOpenMetrics100:
      return kOpenMetricsContentType;
    case ExpositionFormat::kOpenMetrics001:
      return kOpenMetrics001ContentType;
    case ExpositionFormat::kProtobufDelimited:
      return kProtobufContentType;
  }
  return kTextContentType;
}

}  // namespace vitals
