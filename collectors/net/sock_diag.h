// Netlink sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY with inet_diag_req_v2) dumps of TCP
// and UDP sockets, shared by the sockets and tcpstat collectors. The reply datagrams are parsed
// in place from one reused buffer: no heap allocation per socket. The kernel filters by state
// (the request's state mask) and adds only the attributes asked for (here at most SK_MEMINFO,
// for the per-socket drop counter).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collectors/net/inet_socket.h"
#include "collectors/netlink/dump_retry.h"
#include "core/buffer.h"

namespace vitals::net {

struct DumpRequest {
  // AF_INET or AF_INET6; AF_UNSPEC (TCP only) for both in one dump: inet_diag's compatibility
  // request (TCPDIAG_GETSOCK), for which the kernel matches every family, so it walks the TCP
  // hash tables once instead of once per family (the walk visits every bucket of the
  // established table, 262,144 here, whatever the socket count: 1.3-1.8 ms saved per scrape).
  uint8_t family = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  uint32_t states = kAllStates;
  bool drops = false;  // ask for SK_MEMINFO (InetSocket::drops)
};

struct DiagError {
  int errnum = 0;            // errno from a syscall or the kernel's reply; 0 for malformed data
  bool unavailable = false;  // sock_diag cannot be used here: fall back to /proc/net
  // What kind of failure (collectors/netlink/dump_retry.h): interrupted, enobufs and busy dumps
  // are repeated by the collector, the others fail it.
  netlink::DumpFault fault = netlink::DumpFault::kError;
  std::string message;
};

// What next_diag_message took off the front of a datagram.
enum class DiagItem {
  kSocket,  // one inet_diag_msg, in *out
  kDone,    // NLMSG_DONE: the dump is complete
  kEnd,     // the datagram is used up; receive the next one
  kError,   // NLMSG_ERROR from the kernel, or malformed/truncated data; *err says which
};

// Takes the next netlink message off the front of `data` (one received datagram). Pure: the unit
// tests feed it hand-made byte buffers. Every length is checked against what was received; a
// message of another sequence number or type is an error. err->fault says which kind: a
// message flagged NLM_F_DUMP_INTR is kInterrupted, a length past the datagram kTruncated, a
// kernel error by its errno (ENOBUFS kNoBuffers, EBUSY/EAGAIN/EINTR kBusy).
DiagItem next_diag_message(std::span<const uint8_t>& data, uint32_t seq, InetSocket* out,
                           DiagError* err);

// Builds the request datagram (nlmsghdr + inet_diag_req_v2; for AF_UNSPEC nlmsghdr +
// inet_diag_req of type TCPDIAG_GETSOCK) for `r` into `buf`; returns its size (0: `buf` is too
// small, or AF_UNSPEC with a protocol other than TCP).
size_t build_diag_request(const DumpRequest& r, uint32_t seq, std::span<uint8_t> buf);

// A test hook, for tests/integration/test_netlink_faults.py: with VITALS_TEST_NETLINK_OVERRUN=1
// in the agent's environment, every sock_diag socket gets a 1-byte receive buffer and subscribes
// to the kernel's TCP-destroy notifications (needs CAP_NET_ADMIN), so that closing sockets
// overrun it and the kernel reports ENOBUFS mid-dump: the fault the retries handle, made
// reproducible. Off (and never read again) otherwise.
bool overrun_for_tests();

// One netlink socket (opened on first use, closed after any error so that a half-read dump never
// leaks into the next) and one receive buffer.
class SockDiag {
 public:
  SockDiag();
  ~SockDiag();
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;

  // Calls fn(const InetSocket&) for every socket the kernel reports for `r`. On failure returns
  // false with *err set; sockets already passed to fn were real, but the dump is incomplete.
  template <class Fn>
  bool dump(const DumpRequest& r, std::chrono::steady_clock::time_point deadline, Fn&& fn,
            DiagError* err) {
    if (!send_request(r, err)) return false;
    InetSocket s;
    for (;;) {
      std::span<const uint8_t> data;
      if (!receive(deadline, &data, err)) return fail();
      for (;;) {
        DiagItem item = next_diag_message(data, seq_, &s, err);
        if (item == DiagItem::kSocket) {
          fn(static_cast<const InetSocket&>(s));
        } else if (item == DiagItem::kEnd) {
          break;
        } else if (item == DiagItem::kDone) {
          return true;
        } else {
          return fail();
        }
      }
    }
  }

  // Datagrams received so far (for tests and the benchmark).
  uint64_t datagrams() const { return datagrams_; }

 private:
  bool send_request(const DumpRequest& r, DiagError* err);
  bool receive(std::chrono::steady_clock::time_point deadline, std::span<const uint8_t>* data,
               DiagError* err);
  bool fail();

  int fd_ = -1;
  uint32_t seq_ = 0;
  uint64_t datagrams_ = 0;
  RawBuffer<uint8_t> buf_;
};

}  // namespace vitals::net
