// The container runtimes' answers the containers collector decodes (collectors/cgroup/runtime.h):
// the first byte picks the decoder ('A' CRI ListContainersResponse, 'B' CRI
// ListPodSandboxResponse, 'C' Docker's /containers/json), the rest is the answer. Checks: no
// exception escapes; a failure says what; every entry has an id.
#include <map>
#include <string>
#include <vector>

#include "collectors/cgroup/runtime.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals::cgroup;
  if (size == 0) return 0;
  std::string_view body = vitals::fuzz::as_text(data + 1, size - 1);
  std::vector<RuntimeEntry> out;
  std::map<std::string, RuntimeInfo> sandboxes;
  std::string err;
  bool ok = true;
  switch (data[0]) {
    case 'A':
      ok = decode_list_containers(body, &out, &err);
      break;
    case 'B':
      ok = decode_list_pod_sandbox(body, &out, &sandboxes, &err);
      break;
    case 'C':
      ok = decode_docker_containers(body, &out, &err);
      break;
    default:
      return 0;
  }
  if (!ok) VITALS_FUZZ_CHECK(!err.empty());
  for (const RuntimeEntry& e : out) VITALS_FUZZ_CHECK(!e.id.empty());
  for (const auto& [id, info] : sandboxes) VITALS_FUZZ_CHECK(!id.empty());
  return 0;
}
