// Prometheus' protobuf exposition format: io.prometheus.client.MetricFamily messages (schema in
// proto/metrics.proto), each preceded by its length as a varint. Hand-written encoder over the
// model: classic buckets (the +Inf bucket implied, as Prometheus' Go client writes them),
// exemplars on buckets and counters, created timestamps and native histograms.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/metric.h"

namespace vitals {

inline constexpr std::string_view kProtobufContentType =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
    "encoding=delimited";

// Appends one length-delimited MetricFamily per family with samples.
void write_protobuf(std::span<const Family* const> families, std::string& out);

}  // namespace vitals
