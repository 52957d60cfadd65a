#include "model/gather.h"

#include <algorithm>

namespace vitals {

Gathered gather(std::span<const MetricSet* const> sets) {
  Gathered g;
  std::vector<const Family*> all;
  for (const MetricSet* s : sets) {
    for (const Family& f : s->families()) all.push_back(&f);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Family* a, const Family* b) { return a->name() < b->name(); });
  for (size_t i = 0; i < all.size();) {
    size_t j = i + 1;
    while (j < all.size() && all[j]->name() == all[i]->name()) ++j;
    if (j == i + 1) {
      g.families.push_back(all[i]);
    } else {
      Family& m = g.merged.emplace_back(all[i]->name(), all[i]->help(), all[i]->type());
      for (size_t k = i; k < j; ++k) {
        if (all[k]->type() != m.type()) {
          g.errors.push_back("family " + m.name() + " collected as " +
                             std::string(metric_type_name(all[k]->type())) + " and as " +
                             std::string(metric_type_name(m.type())) + "; dropped the former");
          continue;
        }
        m.append(*all[k]);
      }
      m.sort_samples();
      g.families.push_back(&m);
    }
    i = j;
  }
  return g;
}

}  // namespace vitals
