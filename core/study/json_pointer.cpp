#include "study/json_pointer.hpp"

#include <cmath>
#include <cstdint>

namespace moescope {

bool valid_json_pointer(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  try {
    Json::json_pointer ptr(p);
    (void)ptr;
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

bool set_json_pointer(Json& j, const std::string& path, const Json& value) {
  if (!valid_json_pointer(path)) return false;
  // Walk the tokens, creating objects where absent; refuse to index into non-objects.
  Json* cur = &j;
  std::size_t pos = 1;
  while (true) {
    const std::size_t next = path.find('/', pos);
    std::string token = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    // Unescape ~1 and ~0 (RFC 6901).
    for (std::size_t i = 0; (i = token.find("~1", i)) != std::string::npos;)
      token.replace(i, 2, "/");
    for (std::size_t i = 0; (i = token.find("~0", i)) != std::string::npos;)
      token.replace(i, 2, "~");
    if (cur->is_null()) *cur = Json::object();
    if (!cur->is_object()) return false;
    if (next == std::string::npos) {
      (*cur)[token] = value;
      return true;
    }
    cur = &(*cur)[token];
    pos = next + 1;
  }
}

Json json_number(double v) {
  if (std::abs(v) < 9e15 && std::floor(v) == v) return Json(static_cast<std::int64_t>(v));
  return Json(v);
}

} // namespace moescope
