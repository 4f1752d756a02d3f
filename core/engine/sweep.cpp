#include "engine/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "engine/step_model.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

namespace {

constexpr std::size_t kMaxPoints = 10'000'000;

bool valid_pointer(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  try {
    Json::json_pointer ptr(p);
    (void)ptr;
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string number_text(double v) {
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

std::string value_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return number_text(v.get<double>());
  return v.dump();
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A numeric value as JSON: integers stay integers (scenario fields such as nodes are integers).
Json numeric(double v) {
  if (std::abs(v) < 9e15 && std::floor(v) == v) return Json(static_cast<std::int64_t>(v));
  return Json(v);
}

} // namespace

std::size_t SweepSpec::num_points() const {
  std::size_t n = 1;
  for (const auto& a : axes)
    n *= std::max<std::size_t>(a.values.size(), 1);
  return axes.empty() ? 1 : n;
}

bool set_json_pointer(Json& j, const std::string& path, const Json& value) {
  if (!valid_pointer(path)) return false;
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

SweepSpec read_sweep(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  SweepSpec spec;
  spec.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return spec;
  const std::string base = r.string("base");
  if (!base.empty()) {
    namespace fs = std::filesystem;
    fs::path p(base);
    if (p.is_relative() && !file.empty() && file != "<inline>") p = fs::path(file).parent_path() / p;
    spec.base_file = p.string();
    Diagnostics bd;
    auto bj = read_json_file(spec.base_file, bd);
    if (!bj)
      r.error("base", "cannot read the base scenario \"" + spec.base_file + "\": " + bd.to_string());
    else
      spec.base = *bj;
  }
  if (const Json* axes = r.required_array("axes")) {
    if (axes->empty()) r.error("axes", "expected at least one axis");
    for (std::size_t i = 0; i < axes->size(); ++i) {
      const std::string ptr = "/axes/" + std::to_string(i);
      JsonObjectReader a((*axes)[i], file, ptr, diagnostics);
      if (!a.valid()) continue;
      SweepAxis axis;
      const bool one = a.has("path"), many = a.has("paths");
      if (one == many) {
        a.error_here("expected exactly one of \"path\" (one field) or \"paths\" (fields set together)");
        a.accept("path");
        a.accept("paths");
      } else if (one) {
        axis.paths.push_back(a.string("path"));
      } else if (const Json* ps = a.required_array("paths")) {
        for (std::size_t k = 0; k < ps->size(); ++k) {
          if (!(*ps)[k].is_string()) {
            diagnostics.add(file, ptr + "/paths/" + std::to_string(k),
                            "expected a JSON pointer string, got " + describe_json((*ps)[k]));
            continue;
          }
          axis.paths.push_back((*ps)[k].get<std::string>());
        }
        if (ps->empty()) a.error("paths", "expected at least one path");
      }
      for (std::size_t k = 0; k < axis.paths.size(); ++k)
        if (!valid_pointer(axis.paths[k]))
          diagnostics.add(file, ptr + (one ? "/path" : "/paths/" + std::to_string(k)),
                          "expected a JSON pointer into the scenario such as \"/deployment/nodes\", got \"" +
                              axis.paths[k] + "\"");
      const int kinds = int(a.has("values")) + int(a.has("range")) + int(a.has("geometric"));
      if (kinds != 1) {
        a.error_here("expected exactly one of \"values\", \"range\" or \"geometric\"");
        a.accept("values");
        a.accept("range");
        a.accept("geometric");
      } else if (a.has("values")) {
        const Json* vs = a.required_array("values");
        if (vs && vs->empty()) a.error("values", "expected at least one value");
        if (vs)
          for (std::size_t k = 0; k < vs->size(); ++k) {
            const Json& v = (*vs)[k];
            if (axis.paths.size() > 1) {
              if (!v.is_array() || v.size() != axis.paths.size()) {
                diagnostics.add(file, ptr + "/values/" + std::to_string(k),
                                "expected an array of " + std::to_string(axis.paths.size()) +
                                    " values (one per path), got " + describe_json(v));
                continue;
              }
              axis.values.emplace_back(v.begin(), v.end());
            } else {
              axis.values.push_back({v});
            }
          }
      } else if (a.has("range")) {
        JsonObjectReader g = a.object("range");
        const double start = g.number("start"), stop = g.number("stop"), step = g.number("step", NumberRule::positive);
        g.finish();
        if (g.valid() && step > 0) {
          if (stop < start)
            g.error("stop", "expected stop >= start (" + number_text(start) + "), got " + number_text(stop));
          else if ((stop - start) / step > 1e6)
            g.error("step", "expected at most 1,000,000 values in the range");
          else
            for (double x = start; x <= stop + 1e-9 * std::abs(step); x += step)
              axis.values.push_back({numeric(x)});
        }
      } else {
        JsonObjectReader g = a.object("geometric");
        const double start = g.number("start", NumberRule::positive), stop = g.number("stop", NumberRule::positive);
        const std::int64_t count = g.integer("count", NumberRule::positive);
        g.finish();
        if (g.valid() && start > 0 && stop > 0 && count > 0) {
          if (count > 1'000'000)
            g.error("count", "expected at most 1,000,000 values");
          else
            for (std::int64_t k = 0; k < count; ++k) {
              const double x = count == 1 ? start : start * std::pow(stop / start, double(k) / double(count - 1));
              axis.values.push_back({Json(x)});
            }
        }
      }
      if (axis.paths.size() > 1 && a.has("values") == false)
        a.error_here("a zipped axis (\"paths\") takes explicit \"values\"");
      a.finish();
      spec.axes.push_back(std::move(axis));
    }
  }
  if (const Json* p = r.raw("pareto")) {
    if (!p->is_array())
      diagnostics.add(file, "/pareto", "expected an array of {\"metric\", \"goal\"}, got " + describe_json(*p));
    else
      for (std::size_t i = 0; i < p->size(); ++i) {
        JsonObjectReader o((*p)[i], file, "/pareto/" + std::to_string(i), diagnostics);
        if (!o.valid()) continue;
        ParetoObjective obj;
        obj.metric = o.string("metric");
        obj.maximize = o.choice("goal", {"max", "min"}) == "max";
        o.finish();
        spec.pareto.push_back(obj);
      }
  }
  if (spec.pareto.empty()) spec.pareto = {{"tokens_per_s_per_gpu", true}, {"latency_seconds", false}};
  if (const Json* m = r.raw("metrics")) {
    if (!m->is_array())
      diagnostics.add(file, "/metrics", "expected an array of metric names, got " + describe_json(*m));
    else
      for (std::size_t i = 0; i < m->size(); ++i) {
        if (!(*m)[i].is_string())
          diagnostics.add(file, "/metrics/" + std::to_string(i),
                          "expected a metric name, got " + describe_json((*m)[i]));
        else
          spec.metrics.push_back((*m)[i].get<std::string>());
      }
  }
  spec.details = r.boolean_or("details", false);
  spec.threads = r.integer_or("threads", 0, NumberRule::non_negative);
  spec.output = r.string_or("output", "");
  if (!spec.output.empty() && !file.empty() && file != "<inline>" && std::filesystem::path(spec.output).is_relative())
    spec.output = (std::filesystem::path(file).parent_path() / spec.output).string();
  r.accept("description");
  r.finish();
  if (diagnostics.empty()) {
    std::size_t n = 1;
    for (const auto& a : spec.axes) {
      n *= std::max<std::size_t>(a.values.size(), 1);
      if (n > kMaxPoints) {
        diagnostics.add(file, "/axes", "expected at most 10,000,000 grid points");
        break;
      }
    }
  }
  // The first grid point must be a well-formed scenario: a path the scenario format does not know is reported at
  // the axis that sets it.
  if (diagnostics.empty() && !spec.base.is_null()) {
    std::vector<std::pair<std::string, Json>> set;
    Json j = sweep_point_json(spec, 0, &set);
    for (std::size_t i = 0; i < spec.axes.size(); ++i)
      for (std::size_t k = 0; k < spec.axes[i].paths.size(); ++k) {
        Json probe = spec.base;
        if (!set_json_pointer(probe, spec.axes[i].paths[k], spec.axes[i].values[0][k]))
          diagnostics.add(file,
                          "/axes/" + std::to_string(i) +
                              (spec.axes[i].paths.size() > 1 ? "/paths/" + std::to_string(k) : "/path"),
                          "the path runs through a value that is not an object in the base scenario");
      }
    if (diagnostics.empty()) {
      Diagnostics sd;
      Scenario s = read_scenario(j, spec.base_file, sd);
      (void)read_engine_config(s, sd);
      for (const auto& d : sd.items()) {
        bool attributed = false;
        for (std::size_t i = 0; i < spec.axes.size() && !attributed; ++i)
          for (std::size_t k = 0; k < spec.axes[i].paths.size(); ++k) {
            const std::string& p = spec.axes[i].paths[k];
            if (d.location == p || d.location.rfind(p + "/", 0) == 0 || p.rfind(d.location + "/", 0) == 0) {
              diagnostics.add(file,
                              "/axes/" + std::to_string(i) +
                                  (spec.axes[i].paths.size() > 1 ? "/paths/" + std::to_string(k) : "/path"),
                              "the scenario rejects \"" + p + "\" = " + value_text(spec.axes[i].values[0][k]) + ": " +
                                  d.message);
              attributed = true;
              break;
            }
          }
        if (!attributed) diagnostics.add(d.file, d.location, d.message);
      }
    }
  }
  return spec;
}

SweepSpec load_sweep_file(const std::string& path) {
  Diagnostics d;
  auto j = read_json_file(path, d);
  if (!j) throw InputError(d);
  SweepSpec s = read_sweep(*j, path, d);
  d.throw_if_any();
  return s;
}

Json sweep_point_json(const SweepSpec& spec, std::size_t index, std::vector<std::pair<std::string, Json>>* set) {
  Json j = spec.base;
  std::size_t rest = index;
  std::vector<std::size_t> idx(spec.axes.size(), 0);
  for (std::size_t a = spec.axes.size(); a-- > 0;) {
    const std::size_t n = std::max<std::size_t>(spec.axes[a].values.size(), 1);
    idx[a] = rest % n;
    rest /= n;
  }
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    const auto& axis = spec.axes[a];
    if (axis.values.empty()) continue;
    const auto& vals = axis.values[idx[a]];
    for (std::size_t k = 0; k < axis.paths.size() && k < vals.size(); ++k) {
      set_json_pointer(j, axis.paths[k], vals[k]);
      if (set) set->emplace_back(axis.paths[k], vals[k]);
    }
  }
  return j;
}

bool evaluate_scenario_json(const Json& scenario, const std::string& label, const HardwareDatabase& hwdb,
                            const ModelCatalog& catalog, std::map<std::string, double>& metrics, std::string& error,
                            Json* details) {
  try {
    Diagnostics d;
    Scenario s = read_scenario(scenario, label, d);
    const EngineConfig cfg = read_engine_config(s, d);
    d.throw_if_any();
    const ResolvedScenario rs = resolve_scenario(s, hwdb, catalog);
    const DeploymentResult r = evaluate_deployment(rs, cfg);
    metrics = deployment_metrics(r);
    if (details) *details = deployment_result_to_json(r);
    return true;
  } catch (const InputError& e) {
    error.clear();
    for (const auto& x : e.diagnostics().items())
      error += (error.empty() ? "" : "; ") + x.location + ": " + x.message;
  } catch (const std::exception& e) {
    error = e.what();
  }
  return false;
}

SweepResult run_sweep(const SweepSpec& spec, const HardwareDatabase& hwdb, const ModelCatalog& catalog,
                      const std::function<void(std::size_t, std::size_t)>& progress) {
  SweepResult res;
  const std::size_t n = spec.num_points();
  res.points.resize(n);
  std::int64_t threads =
      spec.threads > 0 ? spec.threads : static_cast<std::int64_t>(std::thread::hardware_concurrency());
  threads = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, static_cast<std::int64_t>(n)));
  res.threads = threads;
  std::atomic<std::size_t> next{0}, done{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    while (true) {
      const std::size_t chunk = 16;
      const std::size_t begin = next.fetch_add(chunk);
      if (begin >= n) break;
      for (std::size_t i = begin; i < std::min(n, begin + chunk); ++i) {
        SweepPoint& p = res.points[i];
        p.index = i;
        const Json j = sweep_point_json(spec, i, &p.values);
        p.ok = evaluate_scenario_json(j, spec.base_file, hwdb, catalog, p.metrics, p.error,
                                      spec.details ? &p.details : nullptr);
        done.fetch_add(1, std::memory_order_relaxed);
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::int64_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  if (progress) {
    // The calling thread reports progress while the workers run, then joins in.
    std::thread last(worker);
    while (done.load() < n) {
      progress(done.load(), n);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    last.join();
    progress(n, n);
  } else {
    worker();
  }
  for (auto& t : pool)
    t.join();
  res.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.pareto_front = mark_pareto(res.points, spec.pareto);
  return res;
}

std::vector<std::size_t> mark_pareto(std::vector<SweepPoint>& points, const std::vector<ParetoObjective>& objectives) {
  std::vector<std::size_t> cand;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto& p = points[i];
    p.pareto = false;
    if (!p.ok) continue;
    bool has = true;
    for (const auto& o : objectives)
      if (!p.metrics.count(o.metric) || !std::isfinite(p.metrics.at(o.metric))) has = false;
    if (has) cand.push_back(i);
  }
  // Oriented values: larger is better in every objective.
  auto v = [&](std::size_t i, std::size_t k) {
    const double x = points[i].metrics.at(objectives[k].metric);
    return objectives[k].maximize ? x : -x;
  };
  const std::size_t K = objectives.size();
  std::vector<std::size_t> front;
  if (K == 0) return front;
  if (K == 2) {
    // Sort by the first objective (best first, ties by the second), keep points that improve the second.
    std::sort(cand.begin(), cand.end(), [&](std::size_t a, std::size_t b) {
      if (v(a, 0) != v(b, 0)) return v(a, 0) > v(b, 0);
      return v(a, 1) > v(b, 1);
    });
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < cand.size(); ++i) {
      const std::size_t c = cand[i];
      const bool duplicate =
          i > 0 && v(cand[i - 1], 0) == v(c, 0) && v(cand[i - 1], 1) == v(c, 1) && points[cand[i - 1]].pareto;
      if (v(c, 1) > best || duplicate) {
        points[c].pareto = true;
        front.push_back(c);
        best = std::max(best, v(c, 1));
      }
    }
  } else {
    for (std::size_t a : cand) {
      bool dominated = false;
      for (std::size_t b : cand) {
        if (a == b) continue;
        bool ge = true, gt = false;
        for (std::size_t k = 0; k < K; ++k) {
          if (v(b, k) < v(a, k)) ge = false;
          if (v(b, k) > v(a, k)) gt = true;
        }
        if (ge && gt) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        points[a].pareto = true;
        front.push_back(a);
      }
    }
  }
  std::sort(front.begin(), front.end());
  return front;
}

namespace {

std::vector<std::string> metric_columns(const SweepSpec& spec, const SweepResult& r) {
  if (!spec.metrics.empty()) return spec.metrics;
  std::vector<std::string> cols;
  for (const auto& p : r.points)
    if (p.ok) {
      for (const auto& [k, v] : p.metrics)
        cols.push_back(k);
      break;
    }
  return cols;
}

std::vector<std::string> axis_columns(const SweepSpec& spec) {
  std::vector<std::string> cols;
  for (const auto& a : spec.axes)
    for (const auto& p : a.paths)
      cols.push_back(p);
  return cols;
}

} // namespace

std::string sweep_csv(const SweepSpec& spec, const SweepResult& r) {
  const auto axes = axis_columns(spec);
  const auto metrics = metric_columns(spec, r);
  std::string out = "index";
  for (const auto& a : axes)
    out += "," + csv_escape(a);
  out += ",status";
  for (const auto& m : metrics)
    out += "," + m;
  out += ",pareto,error\n";
  for (const auto& p : r.points) {
    out += std::to_string(p.index);
    for (const auto& [path, v] : p.values)
      out += "," + csv_escape(value_text(v));
    out += p.ok ? ",ok" : ",invalid";
    for (const auto& m : metrics) {
      auto it = p.metrics.find(m);
      out += "," + (it == p.metrics.end() ? std::string() : number_text(it->second));
    }
    out += p.pareto ? ",1," : ",0,";
    out += csv_escape(p.error) + "\n";
  }
  return out;
}

Json sweep_json(const SweepSpec& spec, const SweepResult& r) {
  Json j;
  j["sweep"] = spec.file;
  j["base"] = spec.base_file;
  Json axes = Json::array();
  for (const auto& a : spec.axes) {
    Json x;
    x["paths"] = a.paths;
    Json vals = Json::array();
    for (const auto& v : a.values)
      vals.push_back(a.paths.size() == 1 ? v[0] : Json(v));
    x["values"] = vals;
    axes.push_back(x);
  }
  j["axes"] = axes;
  Json obj = Json::array();
  for (const auto& o : spec.pareto)
    obj.push_back({{"metric", o.metric}, {"goal", o.maximize ? "max" : "min"}});
  j["pareto_objectives"] = obj;
  j["points_total"] = r.points.size();
  std::size_t ok = 0;
  for (const auto& p : r.points)
    ok += p.ok ? 1 : 0;
  j["points_valid"] = ok;
  j["elapsed_seconds"] = r.elapsed_seconds;
  j["threads"] = r.threads;
  j["points_per_second"] = r.elapsed_seconds > 0 ? static_cast<double>(r.points.size()) / r.elapsed_seconds : 0.0;
  j["pareto_front"] = r.pareto_front;
  Json pts = Json::array();
  for (const auto& p : r.points) {
    Json x;
    x["index"] = p.index;
    Json vals = Json::object();
    for (const auto& [path, v] : p.values)
      vals[path] = v;
    x["values"] = vals;
    x["status"] = p.ok ? "ok" : "invalid";
    if (!p.ok) x["error"] = p.error;
    Json m = Json::object();
    for (const auto& [k, v] : p.metrics)
      m[k] = v;
    x["metrics"] = m;
    x["pareto"] = p.pareto;
    if (spec.details && p.ok) x["result"] = p.details;
    pts.push_back(std::move(x));
  }
  j["points"] = std::move(pts);
  return j;
}

// ---- Inverse design --------------------------------------------------------------------------------------------

BisectionResult bisect(const std::function<bool(double)>& satisfied, double lo, double hi, double rel_tol,
                       int max_iterations, double abs_tol) {
  BisectionResult b;
  const bool slo = satisfied(lo);
  b.trace.emplace_back(lo, slo);
  const bool shi = satisfied(hi);
  b.trace.emplace_back(hi, shi);
  if (slo == shi) {
    b.message = slo ? "both ends satisfy the target: the answer is at or below the lower end"
                    : "neither end satisfies the target: widen the bracket";
    b.value = slo ? lo : hi;
    b.other = slo ? hi : lo;
    b.found = false;
    return b;
  }
  double good = slo ? lo : hi, bad = slo ? hi : lo;
  const bool geometric = lo > 0 && hi > 0;
  for (b.iterations = 0; b.iterations < max_iterations; ++b.iterations) {
    if (std::abs(good - bad) <= rel_tol * std::max(std::abs(good), std::abs(bad)) || std::abs(good - bad) <= abs_tol)
      break;
    const double mid = geometric ? std::sqrt(good * bad) : 0.5 * (good + bad);
    if (mid == good || mid == bad) break;
    const bool s = satisfied(mid);
    b.trace.emplace_back(mid, s);
    (s ? good : bad) = mid;
  }
  b.found = true;
  b.value = good;
  b.other = bad;
  return b;
}

SolveResult solve_scenario(const Json& scenario, const std::string& label, const SolveSpec& spec,
                           const HardwareDatabase& hwdb, const ModelCatalog& catalog) {
  SolveResult out;
  std::string last_error;
  auto metric_at = [&](double x, std::map<std::string, double>& m) {
    Json j = scenario;
    const double v = spec.integer ? std::round(x) : x;
    if (!set_json_pointer(j, spec.path, spec.integer ? numeric(v) : Json(v)))
      throw InputError(label, spec.path, "cannot set this path in the scenario");
    std::string err;
    if (!evaluate_scenario_json(j, label, hwdb, catalog, m, err)) {
      last_error = err;
      return false;
    }
    return m.count(spec.metric) != 0;
  };
  auto pred = [&](double x) {
    std::map<std::string, double> m;
    if (!metric_at(x, m)) return false;
    const double v = m.at(spec.metric);
    return spec.at_most ? v <= spec.target : v >= spec.target;
  };
  // The varied path must be a field the scenario format accepts (checked with the lower end's value).
  {
    Json j = scenario;
    if (!set_json_pointer(j, spec.path, spec.integer ? numeric(std::round(spec.lo)) : Json(spec.lo)))
      throw InputError("<command line>", "--vary",
                       "cannot set \"" + spec.path + "\" in the scenario (not a JSON pointer through objects)");
    Diagnostics sd;
    Scenario sc = read_scenario(j, label, sd);
    (void)read_engine_config(sc, sd);
    for (const auto& d : sd.items())
      if (d.location == spec.path || d.location.rfind(spec.path + "/", 0) == 0 ||
          spec.path.rfind(d.location + "/", 0) == 0)
        throw InputError("<command line>", "--vary", "the scenario rejects \"" + spec.path + "\": " + d.message);
    if (!sd.empty()) throw InputError(sd);
  }
  // Validate the metric name on the lower end first.
  {
    std::map<std::string, double> m;
    if (metric_at(spec.lo, m) && !m.count(spec.metric)) {
      std::string names;
      for (const auto& [k, v] : m)
        names += (names.empty() ? "" : ", ") + k;
      throw InputError("<command line>", "--metric",
                       "unknown metric \"" + spec.metric + "\"; this scenario gives " + names);
    }
  }
  out.bisection = bisect(pred, spec.lo, spec.hi, spec.integer ? 0.0 : spec.rel_tol, 100, spec.integer ? 1.0 : 0.0);
  if (spec.integer) {
    out.bisection.value = std::round(out.bisection.value);
    out.bisection.other = std::round(out.bisection.other);
  }
  std::map<std::string, double> m;
  if (metric_at(out.bisection.value, m)) out.metrics_at_value = m;
  if (!last_error.empty())
    out.bisection.message +=
        (out.bisection.message.empty() ? "" : "; ") + std::string("some points were invalid: ") + last_error;
  return out;
}

// ---- Sensitivity -----------------------------------------------------------------------------------------------

SensitivityResult sensitivity(const Json& scenario, const std::string& label, double step, const HardwareDatabase& hwdb,
                              const ModelCatalog& catalog) {
  SensitivityResult out;
  out.step = step;
  Diagnostics d;
  Scenario s = read_scenario(scenario, label, d);
  d.throw_if_any();
  const ResolvedScenario rs = resolve_scenario(s, hwdb, catalog);
  std::string err;
  if (!evaluate_scenario_json(scenario, label, hwdb, catalog, out.base, err)) throw InputError(label, "", err);
  const bool decode = out.base.count("tpot_seconds") != 0;
  out.metrics = {"latency_seconds", "tokens_per_s_per_gpu"};
  (void)decode;

  std::vector<std::pair<std::string, double>> params;
  const auto& a = rs.accelerator;
  params.emplace_back("/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s",
                      a.hbm_bandwidth_bytes_per_s.value);
  params.emplace_back("/hardware_overrides/accelerator_fields/hbm_capacity_bytes", a.hbm_capacity_bytes.value);
  for (DataType t : {rs.scenario.workload.dtypes.weights, DataType::bf16}) {
    const DataType eff = a.effective_compute_type(t);
    const std::string p = "/hardware_overrides/accelerator_fields/peak_dense_flop_per_s/" + to_string(eff);
    if (a.peak_flop_per_s(eff) > 0 && std::none_of(params.begin(), params.end(), [&](auto& x) { return x.first == p; }))
      params.emplace_back(p, a.peak_flop_per_s(eff));
  }
  params.emplace_back("/hardware_overrides/scale_up/link_bandwidth_per_direction_bytes_per_s",
                      rs.scale_up.link_bandwidth_per_direction_bytes_per_s.value);
  if (rs.scale_up.latency_seconds.value > 0)
    params.emplace_back("/hardware_overrides/scale_up/latency_seconds", rs.scale_up.latency_seconds.value);
  if (rs.scale_out && rs.deployment.nodes > 1) {
    params.emplace_back("/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s",
                        rs.scale_out->link_bandwidth_per_direction_bytes_per_s.value);
    if (rs.scale_out->latency_seconds.value > 0)
      params.emplace_back("/hardware_overrides/scale_out/latency_seconds", rs.scale_out->latency_seconds.value);
  }
  for (const auto& [path, base] : params) {
    if (base <= 0) continue;
    SensitivityRow row;
    row.parameter = path;
    row.base_value = base;
    for (int side : {-1, 1}) {
      Json j = scenario;
      set_json_pointer(j, path, Json(base * (1.0 + side * step)));
      std::map<std::string, double> m;
      std::string e;
      if (!evaluate_scenario_json(j, label, hwdb, catalog, m, e)) continue;
      (side < 0 ? row.low : row.high) = m;
    }
    for (const auto& metric : out.metrics) {
      if (!row.low.count(metric) || !row.high.count(metric) || !out.base.count(metric) || out.base.at(metric) == 0)
        continue;
      row.elasticity[metric] = (row.high.at(metric) - row.low.at(metric)) / out.base.at(metric) / (2.0 * step);
    }
    out.rows.push_back(std::move(row));
  }
  const std::string key = out.metrics[0];
  std::stable_sort(out.rows.begin(), out.rows.end(), [&](const SensitivityRow& x, const SensitivityRow& y) {
    const double ex = x.elasticity.count(key) ? std::abs(x.elasticity.at(key)) : 0.0;
    const double ey = y.elasticity.count(key) ? std::abs(y.elasticity.at(key)) : 0.0;
    return ex > ey;
  });
  return out;
}

Json sensitivity_json(const SensitivityResult& r) {
  Json j;
  j["relative_step"] = r.step;
  Json base = Json::object();
  for (const auto& [k, v] : r.base)
    base[k] = v;
  j["base"] = base;
  j["metrics"] = r.metrics;
  Json rows = Json::array();
  for (const auto& row : r.rows) {
    Json x;
    x["parameter"] = row.parameter;
    x["base_value"] = row.base_value;
    Json el = Json::object(), lo = Json::object(), hi = Json::object();
    for (const auto& m : r.metrics) {
      if (row.elasticity.count(m)) el[m] = row.elasticity.at(m);
      if (row.low.count(m)) lo[m] = row.low.at(m);
      if (row.high.count(m)) hi[m] = row.high.at(m);
    }
    x["elasticity"] = el;
    x["at_low"] = lo;  // parameter x (1 - step): one bar end of a tornado chart
    x["at_high"] = hi; // parameter x (1 + step)
    rows.push_back(x);
  }
  j["parameters"] = rows;
  return j;
}

} // namespace moescope
