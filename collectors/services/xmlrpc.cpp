#include "collectors/services/xmlrpc.h"

#include <cstring>

namespace vitals::xmlrpc {
namespace {

struct Fail {
  size_t at;
  std::string what;
};

// Appends code point `cp` as UTF-8.
bool append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view s, const Limits& l) : s_(s), limits_(l) {}

  Response response() {
    skip_misc();
    expect_open("methodResponse");
    Response r;
    std::string_view tag = peek_open();
    if (tag == "params") {
      expect_open("params");
      expect_open("param");
      r.value = value(1);
      expect_close("param");
      expect_close("params");
    } else if (tag == "fault") {
      expect_open("fault");
      Value f = value(1);
      expect_close("fault");
      r.fault = true;
      if (const Value* c = f.member("faultCode"); c && c->kind == Value::Kind::kInt) {
        r.fault_code = c->integer;
      }
      if (const Value* m = f.member("faultString"); m && m->kind == Value::Kind::kString) {
        r.fault_string = m->text;
      }
    } else {
      fail("expected <params> or <fault>");
    }
    expect_close("methodResponse");
    skip_misc();
    if (pos_ != s_.size()) fail("text after </methodResponse>");
    return r;
  }

 private:
  [[noreturn]] void fail(std::string what) { throw Fail{pos_, std::move(what)}; }

  bool starts(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

  // Whitespace, comments, processing instructions (the <?xml ...?> prolog) and a doctype.
  void skip_misc() {
    for (;;) {
      while (pos_ < s_.size() && parse::is_space(s_[pos_])) ++pos_;
      const char* end = nullptr;
      if (starts("<?")) {
        end = "?>";
      } else if (starts("<!--")) {
        end = "-->";
      } else if (starts("<!DOCTYPE")) {
        end = ">";
      } else {
        return;
      }
      size_t e = s_.find(end, pos_ + 2);
      if (e == std::string_view::npos) fail("unterminated markup");
      pos_ = e + std::strlen(end);
    }
  }

  static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == ':';
  }

  // The name of the start tag at the cursor (after skip_misc), empty when there is none.
  std::string_view peek_open() {
    skip_misc();
    if (pos_ + 1 >= s_.size() || s_[pos_] != '<' || !name_char(s_[pos_ + 1])) return {};
    size_t e = pos_ + 1;
    while (e < s_.size() && name_char(s_[e])) ++e;
    return s_.substr(pos_ + 1, e - pos_ - 1);
  }

  // Consumes <name> (attributes ignored); returns false for an empty element <name/>.
  bool expect_open(std::string_view name) {
    if (peek_open() != name) fail("expected <" + std::string(name) + ">");
    pos_ += 1 + name.size();
    size_t gt = s_.find('>', pos_);
    if (gt == std::string_view::npos) fail("unterminated <" + std::string(name) + ">");
    bool empty = gt > pos_ && s_[gt - 1] == '/';
    pos_ = gt + 1;
    return !empty;
  }

  void expect_close(std::string_view name) {
    skip_misc();
    if (!starts("</") || s_.substr(pos_ + 2, name.size()) != name) {
      fail("expected </" + std::string(name) + ">");
    }
    pos_ += 2 + name.size();
    while (pos_ < s_.size() && parse::is_space(s_[pos_])) ++pos_;
    if (pos_ >= s_.size() || s_[pos_] != '>') fail("expected </" + std::string(name) + ">");
    ++pos_;
  }

  // Character data up to the next tag, entities and CDATA sections decoded.
  std::string text() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '<') {
        if (!starts("<![CDATA[")) break;
        size_t e = s_.find("]]>", pos_ + 9);
        if (e == std::string_view::npos) fail("unterminated CDATA section");
        out.append(s_.substr(pos_ + 9, e - pos_ - 9));
        pos_ = e + 3;
        continue;
      }
      if (c != '&') {
        out += c;
        ++pos_;
        continue;
      }
      size_t semi = s_.find(';', pos_);
      if (semi == std::string_view::npos || semi - pos_ > 12) fail("bad entity");
      std::string_view ent = s_.substr(pos_ + 1, semi - pos_ - 1);
      if (ent == "lt") {
        out += '<';
      } else if (ent == "gt") {
        out += '>';
      } else if (ent == "amp") {
        out += '&';
      } else if (ent == "quot") {
        out += '"';
      } else if (ent == "apos") {
        out += '\'';
      } else if (ent.size() >= 2 && ent[0] == '#') {
        uint32_t cp = 0;
        bool hex = ent[1] == 'x' || ent[1] == 'X';
        std::string_view digits = ent.substr(hex ? 2 : 1);
        if (digits.empty()) fail("bad character reference");
        for (char d : digits) {
          int v = hex ? parse::hex_digit(d) : (d >= '0' && d <= '9' ? d - '0' : -1);
          if (v < 0 || cp > 0x10FFFF) fail("bad character reference");
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        }
        if (!append_utf8(out, cp)) fail("bad character reference");
      } else {
        fail("unknown entity &" + std::string(ent) + ";");
      }
      pos_ = semi + 1;
    }
    return out;
  }

  // The contents of a typed element <name>TEXT</name> (or <name/>), as text.
  std::string typed_text(std::string_view name) {
    if (!expect_open(name)) return {};
    std::string t = text();
    expect_close(name);
    return t;
  }

  // <value>...</value>; <value/> is an empty string.
  Value value(size_t depth) {
    if (expect_open("value")) return value_body(depth);
    Value v;
    v.kind = Value::Kind::kString;
    return v;
  }

  // After <value>: the value and its </value>.
  Value value_body(size_t depth) {
    if (depth > limits_.max_depth) fail("values nested too deep");
    if (++values_ > limits_.max_values) fail("too many values");
    Value v;
    size_t start = pos_;
    std::string t = text();
    if (starts("</")) {  // <value>text</value>: a string
      v.kind = Value::Kind::kString;
      v.text = std::move(t);
      expect_close("value");
      return v;
    }
    if (!parse::trim(t).empty()) {
      pos_ = start;
      fail("text before a typed value");
    }
    std::string_view tag = peek_open();
    if (tag == "i4" || tag == "int" || tag == "i8") {
      std::string n = typed_text(tag);
      auto i = parse::to_i64(parse::trim(n));
      if (!i) fail("bad integer \"" + n.substr(0, 40) + "\"");
      v.kind = Value::Kind::kInt;
      v.integer = *i;
    } else if (tag == "boolean") {
      std::string n(parse::trim(typed_text(tag)));
      if (n != "0" && n != "1") fail("bad boolean \"" + n.substr(0, 40) + "\"");
      v.kind = Value::Kind::kBool;
      v.integer = n == "1";
    } else if (tag == "double") {
      std::string n = typed_text(tag);
      auto d = parse::to_double(parse::trim(n));
      if (!d) fail("bad double \"" + n.substr(0, 40) + "\"");
      v.kind = Value::Kind::kDouble;
      v.real = *d;
    } else if (tag == "string") {
      v.kind = Value::Kind::kString;
      v.text = typed_text(tag);
    } else if (tag == "base64") {
      v.kind = Value::Kind::kBase64;
      v.text = typed_text(tag);
    } else if (tag == "dateTime.iso8601") {
      v.kind = Value::Kind::kDateTime;
      v.text = typed_text(tag);
    } else if (tag == "nil") {
      if (expect_open(tag)) expect_close(tag);
    } else if (tag == "array") {
      v.kind = Value::Kind::kArray;
      if (expect_open("array")) {
        if (expect_open("data")) {
          while (peek_open() == "value") {
            v.items.push_back(value(depth + 1));
          }
          expect_close("data");
        }
        expect_close("array");
      }
    } else if (tag == "struct") {
      v.kind = Value::Kind::kStruct;
      if (expect_open("struct")) {
        while (peek_open() == "member") {
          expect_open("member");
          expect_open("name");
          std::string name = text();
          expect_close("name");
          Value mv = value(depth + 1);
          v.members.push_back({std::move(name), std::move(mv)});
          expect_close("member");
        }
        expect_close("struct");
      }
    } else {
      fail(tag.empty() ? "expected a value" : "unknown value type <" + std::string(tag) + ">");
    }
    expect_close("value");
    return v;
  }

  std::string_view s_;
  Limits limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

}  // namespace

const Value* Value::member(std::string_view name) const {
  for (const auto& [k, v] : members) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::optional<Response> parse_response(std::string_view xml, std::string* error,
                                       const Limits& limits) {
  try {
    return Parser(xml, limits).response();
  } catch (const Fail& f) {
    if (error) *error = "XML-RPC response, byte " + std::to_string(f.at) + ": " + f.what;
    return std::nullopt;
  }
}

std::string method_call(std::string_view method) {
  std::string s = "<?xml version=\"1.0\"?>\n<methodCall><methodName>";
  s += method;
  s += "</methodName><params></params></methodCall>\n";
  return s;
}

std::optional<std::vector<ProcessInfo>> process_infos(const Value& v, parse::ParseErrors& errors) {
  if (v.kind != Value::Kind::kArray) {
    errors.add(0, "getAllProcessInfo did not return an array");
    return std::nullopt;
  }
  std::vector<ProcessInfo> out;
  out.reserve(v.items.size());
  int index = 0;
  for (const Value& item : v.items) {
    ++index;
    if (item.kind != Value::Kind::kStruct) {
      errors.add(index, "process entry is not a struct");
      continue;
    }
    ProcessInfo p;
    std::string bad;
    for (const auto& [k, f] : item.members) {
      std::string* str = nullptr;
      int64_t* num = nullptr;
      if (k == "name") {
        str = &p.name;
      } else if (k == "group") {
        str = &p.group;
      } else if (k == "statename") {
        str = &p.state_name;
      } else if (k == "start") {
        num = &p.start;
      } else if (k == "state") {
        num = &p.state;
      } else if (k == "exitstatus") {
        num = &p.exit_status;
      } else if (k == "pid") {
        num = &p.pid;
      }
      if (str) {
        if (f.kind == Value::Kind::kString) {
          *str = f.text;
        } else if (bad.empty()) {
          bad = k;
        }
      } else if (num) {
        if (f.kind == Value::Kind::kInt) {
          *num = f.integer;
        } else if (bad.empty()) {
          bad = k;
        }
      }
    }
    if (!bad.empty()) {
      errors.add(index, "process entry \"" + p.name + "\": field " + bad + " has the wrong type");
      continue;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vitals::xmlrpc
