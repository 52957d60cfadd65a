#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vitals::procfs {

// "name value" lines (/proc/vmstat).
struct KeyValue {
  std::string_view key;  // points into the parsed text
  double value = 0;
};

struct KeyValues {
  std::vector<KeyValue> values;
  std::vector<std::string> errors;
};

// Appends to `out` (cleared first).
void parse_key_values(std::string_view text, KeyValues* out);

// /proc/sys/fs/file-nr: "allocated unused maximum".
struct FileNr {
  double allocated = 0;
  double maximum = 0;
};

bool parse_file_nr(std::string_view text, FileNr* out, std::string* error);

}  // namespace vitals::procfs
