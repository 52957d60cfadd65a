// OTLP/HTTP protobuf bodies (ExportTraceServiceRequest) through apm::decode_otlp_proto, the
// receiver's decoder, into a real span aggregator. Seeds: corpus/otlp_proto/.
#include "apm/decode.h"
#include "tests/fuzz/apm_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  const std::string_view body = fuzz::as_text(data, size);
  fuzz::decode_and_check([&](apm::SpanBatch& batch, std::string* error) {
    return apm::decode_otlp_proto(body, fuzz::kDims, batch, error);
  });
  return 0;
}
