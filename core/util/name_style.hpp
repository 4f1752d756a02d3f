#pragma once
// Names a user types as values (placement strategies, trace formats, dispatch kernels, collectives, overlap and
// engine modes, routing kinds, timing methods) are kebab-case ("two-batch", "deepep-low-latency"); JSON keys stay
// snake_case. Version 0.1.0 spelled some values snake_case ("two_batch"); those spellings name the same thing, so
// old scenario files keep working: every lookup compares canonical names (docs/scenario-format.md, "Names").
#include <string>
#include <string_view>

namespace moescope {

// `typed` in the canonical spelling: every '_' becomes '-' (nothing else changes; names are case-sensitive).
std::string canonical_name(std::string_view typed);

// Whether two spellings name the same thing.
bool same_name(std::string_view a, std::string_view b);

} // namespace moescope
