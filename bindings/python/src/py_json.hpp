#pragma once
// JSON values to and from Python objects directly (no text round trip): dicts, lists, str, bool, int, float, None;
// numpy scalars and arrays are accepted on the way in.
#include <pybind11/pybind11.h>

#include "util/json_reader.hpp"

namespace moescope::py_bindings {

pybind11::object to_python(const Json& j);
// Throws InputError naming `where` (e.g. the dict's JSON pointer) for a value with no JSON form.
Json from_python(const pybind11::handle& obj, const std::string& where = "");

} // namespace moescope::py_bindings
