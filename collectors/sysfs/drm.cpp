#include "collectors/sysfs/drm.h"

#include "collectors/sysfs/sysfs.h"

namespace vitals::sysfs {

std::string_view drm_field(std::string_view text) {
  return trim_space(text.substr(0, 128));
}

bool drm_is_amdgpu(std::string_view uevent) {
  return drm_field(uevent).find("DRIVER=amdgpu") != std::string_view::npos;
}

std::optional<uint64_t> drm_uint(std::string_view s) {
  if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
  auto v = parse_int_base0(s);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

bool drm_is_card(std::string_view name) {
  return name.size() == 5 && name.substr(0, 4) == "card" && name[4] >= '0' && name[4] <= '9';
}

}  // namespace vitals::sysfs
