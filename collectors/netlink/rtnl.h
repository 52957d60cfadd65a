// What every rtnetlink dump in vitals shares: a NETLINK_ROUTE socket kept open across scrapes
// that sends one dump request and hands each recv() buffer to a parser, and the walk over a
// buffer's messages and a message's attributes with one error shape for bad input. Link
// (RTM_GETLINK), route (RTM_GETROUTE) and qdisc (RTM_GETQDISC) dumps are built on these.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

#include "collectors/netlink/dump_retry.h"
#include "core/buffer.h"
#include "core/parse.h"

namespace vitals::netlink {

// The end state of one dump's buffers as the message walk sees them.
struct DumpState {
  bool done = false;         // NLMSG_DONE (or an NLMSG_ERROR ending the dump) seen
  bool interrupted = false;  // NLM_F_DUMP_INTR: the table changed while it was dumped
  int error = 0;             // the (positive) errno of the NLMSG_ERROR that ended it, if one did
  bool truncated = false;    // a message ran past the end of its buffer
};

// Throws DumpError when a finished dump cannot be trusted (collectors/netlink/dump_retry.h):
// kInterrupted when a message carried NLM_F_DUMP_INTR, kTruncated when a message ran past its
// buffer, and the fault of the errno of an NLMSG_ERROR that ended the dump (ENOBUFS, EBUSY,
// EAGAIN and EINTR are retried, others fail the collector). `what` names the dump.
void check_dump(const DumpState& state, const char* what);

// Walks the messages of one recv() buffer. Calls on_msg(msg, len, offset) for each message of
// type `type` (msg points at the nlmsghdr, len is nlmsg_len); NLMSG_DONE and NLMSG_ERROR end
// the dump (the error is reported in `errors`); other types are skipped. A message whose length
// runs past the buffer is an item error, sets state->truncated and ends this buffer's walk.
void walk_messages(std::span<const uint8_t> buf, uint16_t type, DumpState* state,
                   parse::ParseErrors* errors,
                   const std::function<void(const uint8_t*, size_t, size_t)>& on_msg);

// Walks the attributes in [begin, end) of a message. Calls on_attr(type, payload, len) for
// each (type without the NLA_F_* bits). An attribute whose length is short or runs past `end`
// ends the walk: false with *why describing it (the attributes before it were handed on).
bool walk_attrs(const uint8_t* begin, const uint8_t* end, std::string* why,
                const std::function<void(uint16_t, const uint8_t*, size_t)>& on_attr);

// A fixed-size attribute payload copied out; false (and *why set, naming `name`) when the
// payload's length is not sizeof(T).
template <typename T>
bool attr_value(const char* name, const uint8_t* p, size_t len, T* out, std::string* why) {
  if (len != sizeof(T)) {
    *why = std::string(name) + " payload is " + std::to_string(len) + " bytes, want " +
           std::to_string(sizeof(T));
    return false;
  }
  std::memcpy(out, p, sizeof(T));
  return true;
}

// A netlink socket of `protocol`: NETLINK_ROUTE for rtnetlink, NETLINK_GENERIC for generic
// netlink families (collectors/netlink/genl.h).
class RtnlSocket {
 public:
  explicit RtnlSocket(int protocol = NETLINK_ROUTE) : protocol_(protocol) {}
  RtnlSocket(const RtnlSocket&) = delete;
  RtnlSocket& operator=(const RtnlSocket&) = delete;
  ~RtnlSocket();

  // Sends `req` (a whole request: nlmsghdr with NLM_F_REQUEST|NLM_F_DUMP and its payload; the
  // sequence number is filled in here) and calls on_buffer with each received buffer until it
  // returns true (the dump's end). The receive buffer is 64 KiB (the kernel never sends more
  // per recv() for a dump) and reused. Throws DumpError ("netlink <what>: ...") when the socket
  // fails (kNoBuffers for ENOBUFS: the dump lost messages; kTruncated for a datagram larger than
  // the buffer) or the dump has not ended by `deadline` (kDeadline); the socket is then reopened
  // on the next call, so that a half-read dump is never mistaken for the next one's answer.
  void dump(std::span<uint8_t> req, const char* what,
            std::chrono::steady_clock::time_point deadline,
            const std::function<bool(std::span<const uint8_t>)>& on_buffer);

 private:
  void reset();

  int protocol_;
  int sock_ = -1;
  uint32_t seq_ = 0;
  RawBuffer<uint8_t> buf_;
};

}  // namespace vitals::netlink
