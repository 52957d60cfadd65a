#include "collectors/net/wifi_json.h"

#include <simdjson.h>
#include <strings.h>

#include <cstring>

namespace vitals::net {
namespace {

bool key_is(std::string_view key, const char* want) {
  return key.size() == std::strlen(want) && ::strncasecmp(key.data(), want, key.size()) == 0;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Reads the fields of `obj` into `set(key, element)`; false when one has the wrong type.
template <class F>
bool fields(simdjson::dom::object obj, F set) {
  bool ok = true;
  for (auto field : obj) {
    if (!set(std::string_view(field.key), field.value)) ok = false;
  }
  return ok;
}

bool get_int(simdjson::dom::element v, int64_t* out) {
  return !v.get_int64().get(*out);
}

bool get_str(simdjson::dom::element v, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out->assign(s);
  return true;
}

bool get_mac(simdjson::dom::element v, std::string* out) {
  if (v.is_null()) {
    out->clear();
    return true;
  }
  std::string_view s;
  return !v.get_string().get(s) && hardware_addr(s, out);
}

bool parse_doc(simdjson::dom::parser& parser, std::string_view json, simdjson::dom::element* doc,
               parse::ParseErrors& errors) {
  if (auto err = parser.parse(json.data(), json.size()).get(*doc)) {
    errors.add(0, std::string("invalid JSON: ") + simdjson::error_message(err));
    return false;
  }
  return true;
}

}  // namespace

bool hardware_addr(std::string_view b64, std::string* out) {
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    int v = b64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->clear();
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out->push_back(':');
    auto b = static_cast<unsigned char>(bytes[i]);
    out->push_back(kHex[b >> 4]);
    out->push_back(kHex[b & 15]);
  }
  return true;
}

std::vector<WifiInterface> parse_wifi_interfaces(std::string_view json,
                                                 parse::ParseErrors& errors) {
  std::vector<WifiInterface> r;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parse_doc(parser, json, &doc, errors)) return r;
  simdjson::dom::array items;
  if (doc.get_array().get(items)) {
    errors.add(0, "expected a JSON array of interfaces");
    return r;
  }
  int index = 0;
  for (simdjson::dom::element item : items) {
    ++index;
    simdjson::dom::object obj;
    WifiInterface i;
    if (item.get_object().get(obj) ||
        !fields(obj, [&](std::string_view k, simdjson::dom::element v) {
          if (key_is(k, "name")) return get_str(v, &i.name);
          if (key_is(k, "type")) return get_int(v, &i.type);
          if (key_is(k, "frequency")) return get_int(v, &i.frequency_mhz);
          return true;
        })) {
      errors.add(0, "interface " + std::to_string(index) + ": not an object of the right types");
      continue;
    }
    r.push_back(std::move(i));
  }
  return r;
}

bool parse_wifi_bss(std::string_view json, WifiBss* out, parse::ParseErrors& errors) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parse_doc(parser, json, &doc, errors)) return false;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) || !fields(obj, [&](std::string_view k, simdjson::dom::element v) {
        if (key_is(k, "ssid")) return get_str(v, &out->ssid);
        if (key_is(k, "bssid")) return get_mac(v, &out->bssid);
        if (key_is(k, "status")) return get_int(v, &out->status);
        return true;
      })) {
    errors.add(0, "bss: not an object of the right types");
    return false;
  }
  return true;
}

std::vector<WifiStation> parse_wifi_stations(std::string_view json, parse::ParseErrors& errors) {
  std::vector<WifiStation> r;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parse_doc(parser, json, &doc, errors)) return r;
  simdjson::dom::array items;
  if (doc.get_array().get(items)) {
    errors.add(0, "expected a JSON array of stations");
    return r;
  }
  int index = 0;
  for (simdjson::dom::element item : items) {
    ++index;
    simdjson::dom::object obj;
    WifiStation s;
    if (item.get_object().get(obj) ||
        !fields(obj, [&](std::string_view k, simdjson::dom::element v) {
          if (key_is(k, "hardwareaddr")) return get_mac(v, &s.mac);
          if (key_is(k, "connected")) return get_int(v, &s.connected_ns);
          if (key_is(k, "inactive")) return get_int(v, &s.inactive_ns);
          if (key_is(k, "receivedbytes")) return get_int(v, &s.received_bytes);
          if (key_is(k, "transmittedbytes")) return get_int(v, &s.transmitted_bytes);
          if (key_is(k, "receivebitrate")) return get_int(v, &s.receive_bitrate);
          if (key_is(k, "transmitbitrate")) return get_int(v, &s.transmit_bitrate);
          if (key_is(k, "signal")) return get_int(v, &s.signal);
          if (key_is(k, "transmitretries")) return get_int(v, &s.transmit_retries);
          if (key_is(k, "transmitfailed")) return get_int(v, &s.transmit_failed);
          if (key_is(k, "beaconloss")) return get_int(v, &s.beacon_loss);
          return true;
        })) {
      errors.add(0, "station " + std::to_string(index) + ": not an object of the right types");
      continue;
    }
    r.push_back(std::move(s));
  }
  return r;
}

}  // namespace vitals::net
