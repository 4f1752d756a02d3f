#include "study/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "study/json_pointer.hpp"

namespace moescope {

namespace {

constexpr std::size_t kMaxPoints = 10'000'000;

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

} // namespace

std::size_t SweepSpec::num_points() const {
  std::size_t n = 1;
  for (const auto& a : axes)
    n *= std::max<std::size_t>(a.values.size(), 1);
  return axes.empty() ? 1 : n;
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
        if (!valid_json_pointer(axis.paths[k]))
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
          else if (start + step == start || stop - step == stop)
            // x += step would not advance: the step is below the spacing of doubles at this magnitude.
            g.error("step", "expected a step that changes " + number_text(std::max(std::abs(start), std::abs(stop))) +
                                " in double precision, got " + number_text(step));
          else {
            // Counted, not accumulated: the loop provably ends, and values do not drift by rounding.
            const auto count = static_cast<std::size_t>(std::floor((stop - start) / step + 1e-9)) + 1;
            for (std::size_t k = 0; k < count; ++k)
              axis.values.push_back({json_number(start + static_cast<double>(k) * step)});
          }
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
  spec.threads = r.integer_in_or("threads", 0, 0, 1024); // 0: one per core
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
      (void)read_scenario(j, spec.base_file, sd);
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

SweepResult run_sweep(const SweepSpec& spec, Session& session,
                      const std::function<void(std::size_t, std::size_t)>& progress) {
  SweepResult res;
  const auto hwdb = session.hwdb();
  const auto catalog = session.catalog();
  const std::size_t n = spec.num_points();
  res.points.resize(n);
  std::int64_t threads =
      spec.threads > 0 ? spec.threads : static_cast<std::int64_t>(std::thread::hardware_concurrency());
  threads = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, static_cast<std::int64_t>(n)));
  res.threads = threads;
  std::atomic<std::size_t> next{0}, done{0};
  // The progress loop waits on `finished`, so that it returns when the last point is done, not at its next tick.
  std::mutex finished_mutex;
  std::condition_variable finished;
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
        p.ok = session.evaluate_metrics(j, spec.base_file, *hwdb, *catalog, p.metrics, p.error,
                                        spec.details ? &p.details : nullptr);
        if (done.fetch_add(1) + 1 == n) {
          std::lock_guard<std::mutex> lock(finished_mutex);
          finished.notify_all();
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::int64_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  if (progress) {
    // The calling thread reports progress about every 100 ms while the workers run.
    // A callback that throws (Ctrl-C in Python) stops the workers after their current chunk and is rethrown once
    // every thread has joined, so that no thread outlives the call.
    std::thread last(worker);
    try {
      while (done.load() < n) {
        progress(done.load(), n);
        std::unique_lock<std::mutex> lock(finished_mutex);
        finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return done.load() >= n; });
      }
    } catch (...) {
      next.store(n);
      last.join();
      for (auto& t : pool)
        t.join();
      throw;
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

} // namespace moescope
