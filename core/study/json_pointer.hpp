#pragma once
// Edits of a scenario's JSON by JSON pointer (RFC 6901): the one way sweeps, solve, sensitivity, the GUI and Python
// change a field of a scenario.
#include <string>

#include "util/json_reader.hpp"

namespace moescope {

// Whether `path` is a JSON pointer ("/a/b", escapes ~0 and ~1).
bool valid_json_pointer(const std::string& path);
// Sets `value` at JSON pointer `path` in `j`, creating objects on the way. Returns false on a malformed pointer or
// when the path runs through a non-object.
bool set_json_pointer(Json& j, const std::string& path, const Json& value);
// A numeric value as JSON: integers stay integers (scenario fields such as nodes are integers).
Json json_number(double v);

} // namespace moescope
