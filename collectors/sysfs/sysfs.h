// Helpers shared by the sysfs-side collectors. Two do I/O: directory listing that resolves
// symlinks (sysfs class directories are symlinks into /sys/devices) and one-read attribute
// files; the rest are pure: value parsing with the semantics node_exporter's procfs library
// uses, and UTF-8 sanitising of label values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::sysfs {

struct DirEntry {
  std::string name;
  bool is_dir = false;      // after following a symlink
  bool is_symlink = false;  // the entry itself is a symlink
  bool is_regular = false;  // after following a symlink
};

// Lists `path` (without "." and ".."), sorted by name. Returns false (with errno in *err) when
// the directory cannot be opened. Entries whose symlink target is gone have all flags false.
// Without `follow_links`, a symlink is not followed (one path walk each, the dearer part of
// listing a class directory of symlinks) and its is_dir and is_regular stay false.
bool list_dir(const std::string& path, std::vector<DirEntry>* out, int* err = nullptr,
              bool follow_links = true);

// Reads a sysfs attribute file `name` relative to the directory `dir_fd` with a single read(2)
// (a sysfs attribute returns its whole text, at most a page, in the first read) into `buf`.
// Cheaper than open-by-path: only the last path component is looked up, and there is no
// second read for EOF. Returns false with errno in *err on failure.
bool read_attr_at(int dir_fd, const char* name, std::string* buf, std::string_view* out, int* err);

// Go's strconv.ParseInt(s, 0, 64): optional sign, "0x"/"0o"/"0b" prefixes and a leading "0"
// for octal, '_' separators are not accepted here (the kernel never prints them).
std::optional<int64_t> parse_int_base0(std::string_view s);

// Go's strings.ToValidUTF8(s, "\uFFFD"): each run of invalid bytes becomes one U+FFFD.
std::string to_valid_utf8(std::string_view s);

// Go's strings.TrimSpace (ASCII whitespace).
std::string_view trim_space(std::string_view s);

// Text after `prefix` in `name` when it is a non-empty run of digits ("cpu12" -> "12").
std::optional<std::string_view> numeric_suffix(std::string_view name, std::string_view prefix);

}  // namespace vitals::sysfs
