#include "hw/quantity.hpp"

namespace moescope {

Quantity read_quantity(JsonObjectReader& parent, std::string_view key, const FieldRange& range, bool required) {
  Quantity q;
  if (!parent.has(key)) {
    parent.accept(key);
    if (required && parent.valid())
      parent.error(key, "missing required field; expected a quantity {\"value\": number, \"source\": string}");
    return q;
  }
  JsonObjectReader r = parent.object(key);
  if (!r.valid()) return q;
  q.value = r.value_in("value", range);
  q.source = r.string("source");
  if (r.has("source") && q.source.empty()) r.error("source", "expected a non-empty source (URL or document)");
  q.unverified = r.boolean_or("unverified", false);
  q.note = r.string_or("note", "");
  r.finish();
  q.present = true;
  return q;
}

Json quantity_to_json(const Quantity& q) {
  Json j = {{"value", q.value}, {"source", q.source}};
  if (q.unverified) j["unverified"] = true;
  if (!q.note.empty()) j["note"] = q.note;
  return j;
}

} // namespace moescope
