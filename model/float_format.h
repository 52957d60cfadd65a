// Go's float formatting, shared by the text and OpenMetrics writers (exporter/) and the remote
// write encoder (remote_write/, for the le and quantile labels, which must read as a scrape of
// the same agent would).
#pragma once

#include <string>

namespace vitals {

// Appends `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does (what Prometheus' Go client
// writes), with NaN, +Inf and -Inf spelled as the exposition format wants.
void append_float(std::string& out, double v);

}  // namespace vitals
