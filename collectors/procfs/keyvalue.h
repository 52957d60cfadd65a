#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// "name value" files (/proc/vmstat) use parse::parse_key_values (core/parse.h).

// /proc/sys/fs/file-nr: "allocated unused maximum".
struct FileNr {
  double allocated = 0;
  double maximum = 0;
};

bool parse_file_nr(std::string_view text, FileNr* out, std::string* error);

}  // namespace vitals::procfs
