// SCSI tape statistics: counter files and which class entries are drives.
#include <gtest/gtest.h>

#include "collectors/sysfs/tape.h"

namespace vitals::sysfs {
namespace {

TEST(Tape, Counters) {
  EXPECT_EQ(parse_tape_counter("9247011087720\n"), 9247011087720u);
  EXPECT_EQ(parse_tape_counter("0"), 0u);
  EXPECT_FALSE(parse_tape_counter("-1\n"));
  EXPECT_FALSE(parse_tape_counter("12 3\n"));
  EXPECT_FALSE(parse_tape_counter(""));
}

TEST(Tape, Devices) {
  EXPECT_TRUE(is_tape_device("st0"));
  EXPECT_TRUE(is_tape_device("st12"));
  for (std::string_view n : {"nst0", "st0a", "st0l", "st0m", "st", "sta"}) {
    EXPECT_FALSE(is_tape_device(n)) << n;
  }
}

}  // namespace
}  // namespace vitals::sysfs
