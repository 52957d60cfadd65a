#include "collectors/net/qdisc_json.h"

#include <simdjson.h>
#include <strings.h>

namespace vitals::net {
namespace {

bool key_is(std::string_view key, const char* want) {
  return key.size() == std::strlen(want) && ::strncasecmp(key.data(), want, key.size()) == 0;
}

}  // namespace

QdiscList parse_qdisc_json(std::string_view json) {
  QdiscList r;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    r.errors.add(0, std::string("invalid JSON: ") + simdjson::error_message(err));
    return r;
  }
  simdjson::dom::array items;
  if (doc.get_array().get(items)) {
    r.errors.add(0, "expected a JSON array of qdiscs");
    return r;
  }
  int index = 0;
  for (simdjson::dom::element item : items) {
    ++index;
    simdjson::dom::object obj;
    if (item.get_object().get(obj)) {
      r.errors.add(0, "qdisc " + std::to_string(index) + ": not an object");
      continue;
    }
    QdiscInfo q;
    bool ok = true;
    for (auto field : obj) {
      std::string_view k = field.key;
      if (key_is(k, "IfaceName") || key_is(k, "Kind")) {
        std::string_view s;
        if (field.value.get_string().get(s)) {
          ok = false;
        } else {
          (key_is(k, "Kind") ? q.kind : q.iface).assign(s);
        }
        continue;
      }
      uint64_t* out = key_is(k, "Parent")       ? &q.parent
                      : key_is(k, "Handle")     ? &q.handle
                      : key_is(k, "Bytes")      ? &q.bytes
                      : key_is(k, "Packets")    ? &q.packets
                      : key_is(k, "Drops")      ? &q.drops
                      : key_is(k, "Requeues")   ? &q.requeues
                      : key_is(k, "Overlimits") ? &q.overlimits
                      : key_is(k, "Qlen")       ? &q.qlen
                      : key_is(k, "Backlog")    ? &q.backlog
                                                : nullptr;
      if (out && field.value.get_uint64().get(*out)) ok = false;
    }
    if (!ok) {
      r.errors.add(0, "qdisc " + std::to_string(index) + ": a value of the wrong type");
      continue;
    }
    r.qdiscs.push_back(std::move(q));
  }
  return r;
}

}  // namespace vitals::net
