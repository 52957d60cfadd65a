// Generic netlink (NETLINK_GENERIC) on top of rtnl.h's socket and walkers: a bounded request
// builder (nlmsghdr + genlmsghdr + attributes), the controller's family resolution
// (CTRL_CMD_GETFAMILY by name, answered by CTRL_CMD_NEWFAMILY with the family's id and
// version), and the walk over one family's messages. No I/O here: the socket is
// RtnlSocket(NETLINK_GENERIC).
#pragma once

#include <linux/genetlink.h>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "collectors/netlink/rtnl.h"
#include "core/parse.h"

namespace vitals::netlink {

// One request in a fixed buffer (no heap): the headers, then attributes added with put().
class GenlRequest {
 public:
  static constexpr size_t kCapacity = 256;
  GenlRequest(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags);
  // Appends an attribute; false (the request unchanged) when it does not fit.
  bool put(uint16_t type, const void* data, size_t len);
  bool put_u32(uint16_t type, uint32_t v) { return put(type, &v, sizeof v); }
  bool put_string(uint16_t type, std::string_view s);  // with its terminating NUL
  std::span<uint8_t> bytes() { return {buf_.data(), len_}; }

 private:
  alignas(4) std::array<uint8_t, kCapacity> buf_{};
  size_t len_ = 0;
};

// CTRL_CMD_GETFAMILY for `name` (sent with NLM_F_REQUEST only: one reply message or an error).
GenlRequest family_request(std::string_view name);

struct GenlFamily {
  bool found = false;
  uint16_t id = 0;
  uint8_t version = 0;  // the genlmsghdr version requests to the family carry
};

// Parses one recv() buffer of the reply to family_request(`name`): the CTRL_CMD_NEWFAMILY
// message naming `name` sets *out and ends the exchange (state->done). An NLMSG_ERROR ends it
// too, its errno in state->error (ENOENT: the kernel has no such family) and an item error in
// `errors`; a malformed reply is an item error.
void parse_family_reply(std::span<const uint8_t> buf, std::string_view name, GenlFamily* out,
                        DumpState* state, parse::ParseErrors* errors);

// Walks the messages of family `family` in one recv() buffer (as walk_messages does, NLMSG_DONE
// and NLMSG_ERROR included) and calls on_msg(cmd, attrs, attrs_end, offset) with the attribute
// area after the genlmsghdr. A message shorter than its two headers is an item error.
void walk_genl(std::span<const uint8_t> buf, uint16_t family, DumpState* state,
               parse::ParseErrors* errors,
               const std::function<void(uint8_t, const uint8_t*, const uint8_t*, size_t)>& on_msg);

}  // namespace vitals::netlink
