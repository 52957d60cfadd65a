// A small XML-RPC response parser (http://xmlrpc.com/spec.md) for the supervisord collector:
// text in, values out, no I/O. Bounded: nesting depth, number of values and the text size are
// limited; a malformed document is an error with its byte offset, a malformed entry of
// supervisor.getAllProcessInfo's array is an item error and the other entries are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::xmlrpc {

struct Member;

struct Value {
  enum class Kind { kNil, kInt, kBool, kDouble, kString, kBase64, kDateTime, kArray, kStruct };
  Kind kind = Kind::kNil;
  int64_t integer = 0;          // kInt, kBool
  double real = 0;              // kDouble
  std::string text;             // kString (entities decoded), kBase64 and kDateTime (as sent)
  std::vector<Value> items;     // kArray
  std::vector<Member> members;  // kStruct, in document order

  const Value* member(std::string_view name) const;
};

struct Member {
  std::string name;
  Value value;
};

struct Limits {
  size_t max_depth = 32;        // nested arrays/structs
  size_t max_values = 1 << 20;  // values in the whole document
};

// A methodResponse: its one param, or the fault (fault_code/fault_string set, value empty).
struct Response {
  Value value;
  bool fault = false;
  int64_t fault_code = 0;
  std::string fault_string;
};

// The parsed response, or nullopt with *error saying what is wrong and at which byte.
std::optional<Response> parse_response(std::string_view xml, std::string* error,
                                       const Limits& limits = {});

// The request body of a call without parameters.
std::string method_call(std::string_view method);

// One entry of supervisor.getAllProcessInfo (http://supervisord.org/api.html): the fields
// node_exporter 1.5.0 reads. Absent fields stay 0 / empty, as in node_exporter.
struct ProcessInfo {
  std::string name;
  std::string group;
  int64_t start = 0;
  int64_t state = 0;
  int64_t exit_status = 0;
  int64_t pid = 0;
  std::string state_name;
};

// The processes of a getAllProcessInfo response value. An entry that is not a struct, or whose
// known fields have the wrong type, is skipped with an item error (line = its 1-based index in
// the array). nullopt (an error in `errors`) when the value is not an array.
std::optional<std::vector<ProcessInfo>> process_infos(const Value& v, parse::ParseErrors& errors);

}  // namespace vitals::xmlrpc
