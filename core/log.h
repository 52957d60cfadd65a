// Structured logging to stderr, as logfmt or JSON, one write(2) per line so lines from
// concurrent threads never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace vitals::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kLogfmt, kJson };

struct Field {
  std::string_view key;
  std::string_view value;
};

// Returns false for an unknown name.
bool parse_level(std::string_view s, Level* out);
bool parse_format(std::string_view s, Format* out);

void configure(Level level, Format format);
bool enabled(Level level);

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kDebug)) write(Level::kDebug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, m, f);
}

// Formats one line without writing it (for tests).
std::string format_line(Format format, Level level, std::string_view ts, std::string_view msg,
                        std::initializer_list<Field> fields);

}  // namespace vitals::log
