// Gzip request bodies through apm::gunzip, the span receiver's decompression (libdeflate's
// one-call fast path, zlib's bounded streaming path behind it), with its size limit. The first
// byte picks the limit (1 B to 1 MiB), the rest is the body. Checks: the answer is 0, 400 or 413;
// never more output than the limit; and the result agrees with a plain zlib inflate of the same
// body written here (gzip or zlib format, concatenated gzip members allowed), which is the
// reference: same bytes when it decodes within the limit, 413 exactly when it would pass it.
// Seeds: corpus/gzip/.
#include <zlib.h>

#include <algorithm>
#include <string>

#include "apm/receiver.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

enum class Ref { kOk, kTooBig, kBad };

// zlib's inflate over all of `in`, keeping at most max + 1 bytes.
Ref reference(std::string_view in, size_t max, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) std::abort();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  Ref result = Ref::kBad;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out->append(buf, sizeof buf - zs.avail_out);
    if (out->size() > max) {
      result = Ref::kTooBig;
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        result = Ref::kOk;
        break;
      }
      if (inflateReset(&zs) != Z_OK) break;  // the next gzip member
      continue;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0)) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated
  }
  inflateEnd(&zs);
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  if (size < 1) return 0;
  const size_t max = size_t{1} << (data[0] % 21);
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  std::string out, error;
  int rc = apm::gunzip(body, max, out, &error);
  VITALS_FUZZ_CHECK(rc == 0 || rc == 400 || rc == 413);
  VITALS_FUZZ_CHECK(rc == 0 || !error.empty());
  std::string want;
  Ref ref = reference(body, max, &want);
  if (rc == 0) {
    VITALS_FUZZ_CHECK(out.size() <= max);
    VITALS_FUZZ_CHECK(ref == Ref::kOk);
    VITALS_FUZZ_CHECK(out == want);
  } else if (rc == 413) {
    VITALS_FUZZ_CHECK(ref == Ref::kTooBig);
  } else {
    VITALS_FUZZ_CHECK(ref == Ref::kBad);
  }
  return 0;
}
