// The three span decoders. Each walks a request body, fills the SpanBatch (which validates
// and hands batches to its sink) and returns false with a message naming what is wrong and
// where on an undecodable body; spans decoded before the error have been handed on (nothing
// else is lost). `dims` are the --apm.dimension attribute keys (at most kMaxDimensions);
// span attributes win over resource attributes.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "apm/span.h"

namespace vitals::apm {

// OTLP ExportTraceServiceRequest, protobuf wire format, without allocating per span.
bool decode_otlp_proto(std::string_view body, std::span<const std::string> dims, SpanBatch& batch,
                       std::string* error);

// simdjson's parser, kept per receiver slot (it keeps its buffers between requests).
class JsonParser {
 public:
  JsonParser();
  ~JsonParser();
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;
  // Frees buffers grown past `bytes` by a large request.
  void trim(size_t bytes);
  struct Impl;
  std::unique_ptr<Impl> impl;
};

// Bytes the JSON decoders need readable past the end of the body (simdjson's padding).
size_t json_padding();

// OTLP/JSON ExportTraceServiceRequest. `body` must have json_padding() readable bytes after it.
bool decode_otlp_json(JsonParser& parser, std::string_view body, std::span<const std::string> dims,
                      SpanBatch& batch, std::string* error);

// Zipkin v2 JSON list of spans. `body` must have json_padding() readable bytes after it.
bool decode_zipkin_json(JsonParser& parser, std::string_view body,
                        std::span<const std::string> dims, SpanBatch& batch, std::string* error);

}  // namespace vitals::apm
