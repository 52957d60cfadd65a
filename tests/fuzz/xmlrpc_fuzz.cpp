// supervisord's XML-RPC responses through xmlrpc::parse_response and process_infos (the
// supervisord collector's parser). Checks: a failed parse says where; a parsed response keeps
// within the limits; every process entry either parsed or is one item error. Seeds:
// corpus/xmlrpc/.
#include <string>

#include "collectors/services/xmlrpc.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  std::string error;
  xmlrpc::Limits limits;
  limits.max_depth = 8;
  limits.max_values = 4096;
  auto r = xmlrpc::parse_response(fuzz::as_text(data, size), &error, limits);
  if (!r) {
    if (error.find("byte ") == std::string::npos) __builtin_trap();
    return 0;
  }
  parse::ParseErrors errors;
  auto procs = xmlrpc::process_infos(r->value, errors);
  if (procs && procs->size() + errors.size() != r->value.items.size()) __builtin_trap();
  if (!procs && errors.size() != 1) __builtin_trap();
  return 0;
}
