// Puts the families of several producers into one name-sorted list, merging families of the
// same name and type (their samples re-sorted). A family whose name is taken by a family of
// another type is dropped and reported.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <vector>

#include "model/metric.h"

namespace vitals {

struct Gathered {
  std::vector<const Family*> families;  // sorted by name, unique names
  std::deque<Family> merged;            // storage for merged families
  std::vector<std::string> errors;      // dropped families, one message each
};

Gathered gather(std::span<const MetricSet* const> sets);

}  // namespace vitals
