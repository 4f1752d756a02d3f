#include "util/name_style.hpp"

#include <algorithm>

namespace moescope {

std::string canonical_name(std::string_view typed) {
  std::string out(typed);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '_' ? '-' : a[i];
    const char y = b[i] == '_' ? '-' : b[i];
    if (x != y) return false;
  }
  return true;
}

} // namespace moescope
