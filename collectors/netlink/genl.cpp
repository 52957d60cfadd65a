#include "collectors/netlink/genl.h"

#include <cstring>
#include <string>

namespace vitals::netlink {

GenlRequest::GenlRequest(uint16_t family, uint8_t cmd, uint8_t version, uint16_t flags) {
  nlmsghdr h{};
  h.nlmsg_type = family;
  h.nlmsg_flags = flags;
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = version;
  std::memcpy(buf_.data(), &h, sizeof h);
  std::memcpy(buf_.data() + NLMSG_HDRLEN, &g, sizeof g);
  len_ = NLMSG_HDRLEN + GENL_HDRLEN;
  h.nlmsg_len = static_cast<uint32_t>(len_);
  std::memcpy(buf_.data(), &h, sizeof h);
}

bool GenlRequest::put(uint16_t type, const void* data, size_t len) {
  const size_t space = NLA_ALIGN(NLA_HDRLEN + len);
  if (len > 0xffff - NLA_HDRLEN || space > buf_.size() - len_) return false;
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
  std::memset(buf_.data() + len_, 0, space);
  std::memcpy(buf_.data() + len_, &a, sizeof a);
  if (len) std::memcpy(buf_.data() + len_ + NLA_HDRLEN, data, len);
  len_ += space;
  nlmsghdr h;
  std::memcpy(&h, buf_.data(), sizeof h);
  h.nlmsg_len = static_cast<uint32_t>(len_);
  std::memcpy(buf_.data(), &h, sizeof h);
  return true;
}

bool GenlRequest::put_string(uint16_t type, std::string_view s) {
  std::array<char, kCapacity> tmp{};
  if (s.size() >= tmp.size()) return false;
  std::memcpy(tmp.data(), s.data(), s.size());
  return put(type, tmp.data(), s.size() + 1);
}

GenlRequest family_request(std::string_view name) {
  GenlRequest r(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST);
  r.put_string(CTRL_ATTR_FAMILY_NAME, name);
  return r;
}

void walk_genl(std::span<const uint8_t> buf, uint16_t family, DumpState* state,
               parse::ParseErrors* errors,
               const std::function<void(uint8_t, const uint8_t*, const uint8_t*, size_t)>& on_msg) {
  walk_messages(buf, family, state, errors, [&](const uint8_t* msg, size_t len, size_t off) {
    if (len < NLMSG_HDRLEN + GENL_HDRLEN) {
      errors->add(0, "generic netlink message at offset " + std::to_string(off) + ": " +
                         std::to_string(len) + " bytes, shorter than its two headers");
      return;
    }
    genlmsghdr g;
    std::memcpy(&g, msg + NLMSG_HDRLEN, sizeof g);
    on_msg(g.cmd, msg + NLMSG_HDRLEN + GENL_HDRLEN, msg + len, off);
  });
}

void parse_family_reply(std::span<const uint8_t> buf, std::string_view name, GenlFamily* out,
                        DumpState* state, parse::ParseErrors* errors) {
  walk_genl(
      buf, GENL_ID_CTRL, state, errors,
      [&](uint8_t cmd, const uint8_t* begin, const uint8_t* end, size_t off) {
        if (cmd != CTRL_CMD_NEWFAMILY) return;
        GenlFamily f;
        std::string_view got;
        bool has_id = false;
        std::string why;
        bool ok = walk_attrs(begin, end, &why, [&](uint16_t type, const uint8_t* p, size_t n) {
          if (!why.empty()) return;
          if (type == CTRL_ATTR_FAMILY_ID) {
            has_id = attr_value("CTRL_ATTR_FAMILY_ID", p, n, &f.id, &why);
          } else if (type == CTRL_ATTR_VERSION) {
            uint32_t v = 0;
            if (attr_value("CTRL_ATTR_VERSION", p, n, &v, &why)) {
              f.version = static_cast<uint8_t>(v);
            }
          } else if (type == CTRL_ATTR_FAMILY_NAME) {
            got = {reinterpret_cast<const char*>(p), strnlen(reinterpret_cast<const char*>(p), n)};
          }
        });
        if (ok && why.empty() && !has_id) why = "no CTRL_ATTR_FAMILY_ID";
        if (ok && why.empty() && got != name) {
          why = "the reply names family \"" + std::string(got) + "\", not \"" + std::string(name) +
                "\"";
        }
        if (!ok || !why.empty()) {
          errors->add(0, "CTRL_CMD_NEWFAMILY at offset " + std::to_string(off) + ": " + why);
          state->done = true;  // the one reply there is
          return;
        }
        f.found = true;
        *out = f;
        state->done = true;
      });
}

}  // namespace vitals::netlink
