// Zipkin v2 JSON bodies (a list of spans) through apm::decode_zipkin_json, the receiver's decoder,
// into a real span aggregator. The body is copied into a buffer with simdjson's padding after it,
// as the receiver reads it. Seeds: corpus/zipkin_json/.
#include <string>

#include "apm/decode.h"
#include "tests/fuzz/apm_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  static apm::JsonParser parser;  // one per receiver slot, reused across requests
  std::string buf(fuzz::as_text(data, size));
  buf.reserve(size + apm::json_padding());
  const std::string_view body(buf.data(), size);
  fuzz::decode_and_check([&](apm::SpanBatch& batch, std::string* error) {
    return apm::decode_zipkin_json(parser, body, fuzz::kDims, batch, error);
  });
  parser.trim(1 << 20);
  return 0;
}
