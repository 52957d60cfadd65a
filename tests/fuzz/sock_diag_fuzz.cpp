// NETLINK_SOCK_DIAG dump replies through net::next_diag_message, the sockets and tcpstat
// collectors' parser, driven as SockDiag::dump drives it over one received datagram; each
// socket then goes through the formatting the collectors apply. The expected sequence number is
// the first message's own (a reply of another sequence is an error the parser reports; taking
// it from the input lets the fuzzer reach past that check). Checks: every call that yields a
// socket consumes input (else the dump loop would not end); an error has a message; a socket's
// address formats within its buffer. Seeds: corpus/sock_diag/.
#include <linux/netlink.h>

#include <cstring>
#include <span>
#include <vector>

#include "collectors/net/inet_socket.h"
#include "collectors/net/sock_diag.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  std::vector<uint8_t> buf(data, data + size);  // its own heap block: ASan sees overreads
  uint32_t seq = 0;
  if (size >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, buf.data(), sizeof h);
    seq = h.nlmsg_seq;
  }
  std::span<const uint8_t> rest(buf.data(), buf.size());
  net::InetSocket s;
  for (;;) {
    const size_t before = rest.size();
    net::DiagError err;
    net::DiagItem item = net::next_diag_message(rest, seq, &s, &err);
    VITALS_FUZZ_CHECK(rest.size() <= before);
    if (item == net::DiagItem::kSocket) {
      VITALS_FUZZ_CHECK(rest.size() < before);
      char a[net::kAddrBufSize];
      std::string_view local = net::format_address(s.family, s.local_addr, a);
      VITALS_FUZZ_CHECK(!local.empty() && local.size() < sizeof a);
      char b[net::kAddrBufSize];
      std::string_view remote = net::format_address(s.family, s.remote_addr, b);
      VITALS_FUZZ_CHECK(!remote.empty() && remote.size() < sizeof b);
      VITALS_FUZZ_CHECK(!net::tcp_state_name(s.state).empty());
      continue;
    }
    if (item == net::DiagItem::kError) VITALS_FUZZ_CHECK(!err.message.empty());
    break;
  }
  return 0;
}
