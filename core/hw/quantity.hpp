#pragma once
// A hardware figure with its provenance. Every number in hwdb/ is one of these.
#include <string>

#include "hw/field_ranges.hpp"
#include "util/json_reader.hpp"

namespace moescope {

struct Quantity {
  double value = 0.0;
  std::string source;
  bool unverified = false;
  std::string note;
  bool present = false; // false for an optional figure the file does not give

  explicit operator bool() const { return present; }
};

// Reads {"value", "source", "unverified"?, "note"?} at `key`. Required quantities record a diagnostic when
// absent; every quantity needs a non-empty source and a value in `range`.
Quantity read_quantity(JsonObjectReader& parent, std::string_view key, const FieldRange& range, bool required = true);
Json quantity_to_json(const Quantity& q);

} // namespace moescope
