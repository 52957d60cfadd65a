#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One line of /proc/interrupts: its name ("0", "NMI"), one count per CPU column, and the
// description split as node_exporter does (numbered IRQs: chip in info, the rest in devices;
// named ones: the whole description in info).
struct InterruptLine {
  std::string_view type;
  std::string info;
  std::string devices;
  std::vector<double> counts;
};

struct Interrupts {
  int cpus = 0;
  std::vector<InterruptLine> lines;
  parse::ParseErrors errors;
};

Interrupts parse_interrupts(std::string_view text);

}  // namespace vitals::procfs
