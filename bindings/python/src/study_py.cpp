// Many evaluations: sweep (one C++ call over the grid, GIL released, progress and Ctrl-C through a callback), Pareto
// front of any table of metrics, solve (bisection on one field) and sensitivity. Results cross as column dicts that
// the package turns into DataFrames.
#include <pybind11/stl.h>

#include <cmath>
#include <set>

#include "bindings.hpp"
#include "py_json.hpp"
#include "study/sensitivity.hpp"
#include "study/solve.hpp"
#include "study/sweep.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

namespace {

std::vector<ParetoObjective> objectives(const std::vector<std::string>& maximize,
                                        const std::vector<std::string>& minimize) {
  std::vector<ParetoObjective> out;
  for (const auto& m : maximize)
    out.push_back({m, true});
  for (const auto& m : minimize)
    out.push_back({m, false});
  return out;
}

// A column of JSON values: int64 or float64 numpy when every value is a number, else Python objects.
py::object value_column(const std::vector<SweepPoint>& points, std::size_t k) {
  bool ints = true, numbers = true;
  for (const auto& p : points) {
    const Json& v = p.values.at(k).second;
    numbers = numbers && v.is_number();
    ints = ints && v.is_number_integer();
  }
  if (numbers) {
    py::array_t<double> a(points.size());
    auto* d = a.mutable_data();
    for (std::size_t i = 0; i < points.size(); ++i)
      d[i] = points[i].values[k].second.get<double>();
    return ints ? a.attr("astype")("int64") : py::object(a);
  }
  py::list out;
  for (const auto& p : points)
    out.append(to_python(p.values[k].second));
  return out;
}

py::dict sweep_columns(const SweepResult& r, const std::vector<std::string>& metric_names) {
  py::dict cols;
  const auto& pts = r.points;
  py::array_t<std::int64_t> index(pts.size());
  py::array_t<bool> ok(pts.size()), pareto(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i)
    index.mutable_data()[i] = std::int64_t(pts[i].index), ok.mutable_data()[i] = pts[i].ok,
    pareto.mutable_data()[i] = pts[i].pareto;
  cols["index"] = index;
  if (!pts.empty())
    for (std::size_t k = 0; k < pts.front().values.size(); ++k)
      cols[py::str(pts.front().values[k].first)] = value_column(pts, k);
  std::vector<std::string> names = metric_names;
  if (names.empty()) {
    std::set<std::string> all;
    for (const auto& p : pts)
      for (const auto& [k, v] : p.metrics)
        all.insert(k);
    names.assign(all.begin(), all.end());
  }
  for (const auto& name : names) {
    py::array_t<double> a(pts.size());
    for (std::size_t i = 0; i < pts.size(); ++i) {
      auto it = pts[i].metrics.find(name);
      a.mutable_data()[i] = it == pts[i].metrics.end() ? NAN : it->second;
    }
    cols[py::str(name)] = a;
  }
  cols["ok"] = ok;
  cols["pareto"] = pareto;
  py::list errors;
  for (const auto& p : pts)
    errors.append(p.error);
  cols["error"] = errors;
  return cols;
}

// axes[a] = (paths, values[step][path]): one path, or several zipped.
py::dict sweep(const PyScenario& s, const std::vector<std::pair<std::vector<std::string>, py::list>>& axes,
               const std::vector<std::string>& metrics, const std::vector<std::string>& maximize,
               const std::vector<std::string>& minimize, std::int64_t threads, const py::object& progress,
               const py::object& session) {
  Session& sess = session_or_default(session);
  SweepSpec spec;
  spec.base = scenario_to_json(s.scenario);
  spec.base_file = s.scenario.file;
  spec.threads = threads;
  spec.metrics = metrics;
  spec.pareto = objectives(maximize, minimize);
  if (spec.pareto.empty()) spec.pareto = {{"decode_tokens_per_s_per_gpu", true}, {"tpot_seconds", false}};
  for (const auto& [paths, values] : axes) {
    SweepAxis axis;
    axis.paths = paths;
    for (const auto& step : values) {
      std::vector<Json> v;
      for (const auto& x : step)
        v.push_back(from_python(x, paths.empty() ? "" : paths.front()));
      if (v.size() != paths.size())
        throw InputError("axes", paths.empty() ? "" : paths.front(), "each step needs one value per path");
      axis.values.push_back(std::move(v));
    }
    if (axis.values.empty()) throw InputError("axes", paths.empty() ? "" : paths.front(), "an axis has no values");
    spec.axes.push_back(std::move(axis));
  }
  std::function<void(std::size_t, std::size_t)> report;
  // Called without the GIL from the sweep's calling thread: takes it, lets Ctrl-C through, updates the bar.
  report = [&progress](std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!progress.is_none()) progress(done, total);
  };
  SweepResult r;
  {
    py::gil_scoped_release release;
    r = run_sweep(spec, sess, report);
  }
  return sweep_columns(r, metrics);
}

// Pareto mask of a table: columns[metric] is a float array per objective.
py::array_t<bool> pareto_mask(const py::dict& columns, const std::vector<std::string>& maximize,
                              const std::vector<std::string>& minimize) {
  const auto obj = objectives(maximize, minimize);
  if (obj.empty()) throw InputError("pareto", "", "name at least one metric to maximize or minimize");
  std::vector<SweepPoint> pts;
  for (const auto& o : obj) {
    if (!columns.contains(o.metric)) throw InputError("pareto", "", "no column '" + o.metric + "'");
    const auto a = columns[py::str(o.metric)].cast<py::array_t<double, py::array::forcecast>>();
    if (pts.empty()) pts.resize(a.size());
    if (std::size_t(a.size()) != pts.size()) throw InputError("pareto", "", "columns of different lengths");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      pts[i].index = i;
      pts[i].ok = true;
      if (std::isfinite(a.at(i))) pts[i].metrics[o.metric] = a.at(i);
    }
  }
  mark_pareto(pts, obj);
  py::array_t<bool> mask(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i)
    mask.mutable_data()[i] = pts[i].pareto;
  return mask;
}

} // namespace

void init_study(py::module_& m) {
  m.def("_sweep", &sweep, py::arg("scenario"), py::arg("axes"), py::arg("metrics"), py::arg("maximize"),
        py::arg("minimize"), py::arg("threads"), py::arg("progress"), py::arg("session"));
  m.def("_pareto_mask", &pareto_mask, py::arg("columns"), py::arg("maximize"), py::arg("minimize"));

  py::class_<SolveResult>(m, "SolveResult", "The value of one field at which a metric meets a target")
      .def_property_readonly(
          "found", [](const SolveResult& r) { return r.bisection.found; }, "whether the bracket held the boundary")
      .def_property_readonly(
          "value", [](const SolveResult& r) { return r.bisection.value; }, "the satisfying end of the final bracket")
      .def_property_readonly(
          "other", [](const SolveResult& r) { return r.bisection.other; }, "the unsatisfying end")
      .def_property_readonly(
          "iterations", [](const SolveResult& r) { return r.bisection.iterations; }, "bisection steps taken")
      .def_property_readonly(
          "trace", [](const SolveResult& r) { return r.bisection.trace; }, "(value, satisfied) in evaluation order")
      .def_property_readonly(
          "message", [](const SolveResult& r) { return r.bisection.message; }, "why nothing was found, or ''")
      .def_readonly("metrics", &SolveResult::metrics_at_value, "headline metrics at `value`")
      .def("__repr__", [](const SolveResult& r) {
        return "<moescope.SolveResult found=" + std::string(r.bisection.found ? "True" : "False") +
               " value=" + std::to_string(r.bisection.value) + ">";
      });
  m.def(
      "_solve",
      [](const PyScenario& s, const SolveSpec& spec, const py::object& session) {
        Session& sess = session_or_default(session);
        py::gil_scoped_release release;
        return solve_scenario(scenario_to_json(s.scenario), s.scenario.file, spec, sess);
      },
      py::arg("scenario"), py::arg("spec"), py::arg("session"));
  py::class_<SolveSpec>(m, "_SolveSpec")
      .def(py::init<>())
      .def_readwrite("path", &SolveSpec::path)
      .def_readwrite("metric", &SolveSpec::metric)
      .def_readwrite("target", &SolveSpec::target)
      .def_readwrite("at_most", &SolveSpec::at_most)
      .def_readwrite("lo", &SolveSpec::lo)
      .def_readwrite("hi", &SolveSpec::hi)
      .def_readwrite("rel_tol", &SolveSpec::rel_tol)
      .def_readwrite("integer", &SolveSpec::integer);

  m.def(
      "_sensitivity",
      [](const PyScenario& s, double step, const py::object& session) {
        Session& sess = session_or_default(session);
        SensitivityResult r;
        {
          py::gil_scoped_release release;
          r = sensitivity(scenario_to_json(s.scenario), s.scenario.file, step, sess);
        }
        // Tidy: one row per (parameter, metric).
        py::list parameter, base_value, metric, base, low, high, elasticity;
        for (const auto& row : r.rows)
          for (const auto& name : r.metrics) {
            auto get = [&](const std::map<std::string, double>& mm) {
              auto it = mm.find(name);
              return it == mm.end() ? NAN : it->second;
            };
            parameter.append(row.parameter), base_value.append(row.base_value), metric.append(name);
            base.append(get(r.base)), low.append(get(row.low)), high.append(get(row.high));
            elasticity.append(get(row.elasticity));
          }
        py::dict cols;
        cols["parameter"] = parameter, cols["base_value"] = base_value, cols["metric"] = metric;
        cols["base"] = base, cols["low"] = low, cols["high"] = high, cols["elasticity"] = elasticity;
        return py::make_tuple(cols, r.step);
      },
      py::arg("scenario"), py::arg("step"), py::arg("session"));
}

} // namespace moescope::py_bindings
