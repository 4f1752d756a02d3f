#include "py_json.hpp"

#include <cmath>

#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

namespace py = pybind11;

py::object to_python(const Json& j) {
  switch (j.type()) {
  case Json::value_t::null:
    return py::none();
  case Json::value_t::boolean:
    return py::bool_(j.get<bool>());
  case Json::value_t::number_integer:
    return py::int_(j.get<std::int64_t>());
  case Json::value_t::number_unsigned:
    return py::int_(j.get<std::uint64_t>());
  case Json::value_t::number_float:
    return py::float_(j.get<double>());
  case Json::value_t::string:
    return py::str(j.get_ref<const std::string&>());
  case Json::value_t::array: {
    py::list out(j.size());
    for (std::size_t i = 0; i < j.size(); ++i)
      out[i] = to_python(j[i]);
    return out;
  }
  case Json::value_t::object: {
    py::dict out;
    for (const auto& [k, v] : j.items())
      out[py::str(k)] = to_python(v);
    return out;
  }
  default:
    return py::none();
  }
}

namespace {

Json convert(const py::handle& obj, const std::string& where, int depth) {
  // The same nesting bound as every JSON file (util/json_reader.hpp): a deeper value would overflow this recursion.
  if (depth > kMaxJsonDepth)
    throw InputError("<python>", where,
                     "nested deeper than " + std::to_string(kMaxJsonDepth) +
                         " lists or dicts (moescope's formats "
                         "need fewer than 10)");
  if (obj.is_none()) return nullptr;
  // bool before int: Python's bool is an int; numpy.bool_ is neither.
  if (PyBool_Check(obj.ptr())) return obj.cast<bool>();
  if (PyLong_Check(obj.ptr())) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
    if (overflow != 0)
      throw InputError("<python>", where,
                       "expected an integer of magnitude at most 2^63, got " + std::string(py::str(obj)));
    return static_cast<std::int64_t>(v);
  }
  if (PyFloat_Check(obj.ptr())) return obj.cast<double>();
  if (PyUnicode_Check(obj.ptr())) return obj.cast<std::string>();
  if (py::isinstance<py::dict>(obj)) {
    Json out = Json::object();
    for (const auto& [k, v] : obj.cast<py::dict>()) {
      const std::string key = py::str(k);
      out[key] = convert(v, where + "/" + json_pointer_escape(key), depth + 1);
    }
    return out;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    Json out = Json::array();
    std::size_t i = 0;
    for (const auto& v : obj)
      out.push_back(convert(v, where + "/" + std::to_string(i++), depth + 1));
    return out;
  }
  // numpy scalars and arrays, and anything else with a plain form.
  if (py::hasattr(obj, "tolist")) return convert(obj.attr("tolist")(), where, depth);
  if (py::hasattr(obj, "__index__")) return py::int_(py::reinterpret_borrow<py::object>(obj)).cast<std::int64_t>();
  if (py::hasattr(obj, "__float__")) return py::float_(py::reinterpret_borrow<py::object>(obj)).cast<double>();
  throw InputError("<python>", where, "no JSON form for a value of type " + std::string(py::str(obj.get_type())));
}

} // namespace

Json from_python(const py::handle& obj, const std::string& where) {
  return convert(obj, where, 0);
}

} // namespace moescope::py_bindings
