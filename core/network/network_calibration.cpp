#include "network/network_calibration.hpp"

#include <filesystem>
#include <memory>
#include <mutex>

#include "util/data_paths.hpp"

namespace moescope {

namespace {
const std::vector<std::string> kOps = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "send_recv"};
const std::vector<std::string> kProtocols = {"ll", "ll128", "simple"};
} // namespace

NetworkCalibration read_network_calibration(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  NetworkCalibration c;
  c.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return c;
  r.choice("kind", {"network_calibration"});
  c.name = r.string("name");
  c.system = r.string("system");
  c.description = r.string_or("description", "");
  r.accept("fitted_by");
  if (const Json* f = r.raw("fitted_on")) c.fitted_on = *f;
  if (auto coll = r.object_if_present("collectives")) {
    if (coll->valid())
      for (const auto& [op, value] : json.at("collectives").items()) {
        if (std::find(kOps.begin(), kOps.end(), op) == kOps.end()) {
          coll->error(op, "unknown collective; expected one of all_reduce, all_gather, reduce_scatter, all_to_all, "
                          "send_recv");
          continue;
        }
        const Json* arr = coll->raw(op);
        if (!arr->is_array()) {
          coll->error(op, "expected an array of {ranks, regimes}, found " + describe_json(*arr));
          continue;
        }
        auto& list = c.collectives[op];
        for (std::size_t i = 0; i < arr->size(); ++i) {
          const std::string ptr = coll->pointer_of(op) + "/" + std::to_string(i);
          JsonObjectReader e((*arr)[i], file, ptr, diagnostics);
          CollectiveCalibration cc;
          cc.ranks = e.integer("ranks");
          if (const Json* regimes = e.required_array("regimes"))
            for (std::size_t j = 0; j < regimes->size(); ++j) {
              JsonObjectReader g((*regimes)[j], file, ptr + "/regimes/" + std::to_string(j), diagnostics);
              CollectiveRegime reg;
              reg.protocol = g.choice("protocol", kProtocols);
              reg.max_bytes = g.number("max_bytes", NumberRule::positive);
              reg.latency_seconds = g.number("latency_seconds", NumberRule::non_negative);
              reg.bus_bandwidth_bytes_per_s = g.number("bus_bandwidth_bytes_per_s", NumberRule::positive);
              g.finish();
              cc.regimes.push_back(reg);
            }
          e.finish();
          list.push_back(std::move(cc));
        }
      }
    coll->finish();
  }
  if (auto kernels = r.object_if_present("dispatch_kernels")) {
    if (kernels->valid())
      for (const auto& [name, value] : json.at("dispatch_kernels").items()) {
        const DispatchKernel* kernel = find_dispatch_kernel(name);
        if (!kernel) {
          kernels->error(name, "unknown dispatch kernel");
          continue;
        }
        kernels->accept(name);
        JsonObjectReader k(value, file, kernels->pointer_of(name), diagnostics);
        KernelCosts kc;
        kc.fixed_seconds = k.number_or("fixed_seconds", 0.0, NumberRule::non_negative);
        kc.per_message_seconds = k.number_or("per_message_seconds", 0.0, NumberRule::non_negative);
        kc.scale_up_efficiency = k.number_or("scale_up_efficiency", 1.0, NumberRule::positive);
        kc.scale_out_efficiency = k.number_or("scale_out_efficiency", 1.0, NumberRule::positive);
        kc.per_sm_bytes_per_s = k.number_or("per_sm_bytes_per_s", 0.0, NumberRule::non_negative);
        kc.num_sms = k.number_or("num_sms", 0.0, NumberRule::non_negative);
        kc.sm_rows_per_token = k.number_or("sm_rows_per_token", 0.0, NumberRule::non_negative);
        kc.combine_fixed_seconds = k.number_or("combine_fixed_seconds", -1.0, NumberRule::any);
        kc.scale_out_fixed_seconds = k.number_or("scale_out_fixed_seconds", -1.0, NumberRule::any);
        k.string_or("scale_out_from", ""); // informative: the system the scale-out terms were fitted on
        k.accept("note");
        k.finish();
        c.dispatch_kernels[kernel->name()] = kc; // the canonical spelling, as the engine asks for it
      }
    kernels->finish();
  }
  r.finish();
  return c;
}

NetworkCalibration load_network_calibration(const std::string& path) {
  Diagnostics d;
  NetworkCalibration c;
  if (auto json = read_json_file(path, d)) c = read_network_calibration(*json, path, d);
  d.throw_if_any();
  return c;
}

const NetworkCalibration* find_network_calibration(const std::string& system) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<NetworkCalibration>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string path = hwdb_dir() + "/calibrations/" + system + "-network.json";
  auto it = cache.find(path);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<NetworkCalibration> c;
  if (std::filesystem::exists(path)) c = std::make_unique<NetworkCalibration>(load_network_calibration(path));
  return (cache[path] = std::move(c)).get();
}

Json network_calibration_to_json(const NetworkCalibration& c) {
  Json j;
  j["kind"] = "network_calibration";
  j["name"] = c.name;
  j["system"] = c.system;
  if (!c.description.empty()) j["description"] = c.description;
  j["fitted_on"] = c.fitted_on;
  Json coll = Json::object();
  for (const auto& [op, list] : c.collectives) {
    Json arr = Json::array();
    for (const auto& cc : list) {
      Json regimes = Json::array();
      for (const auto& r : cc.regimes)
        regimes.push_back({{"protocol", r.protocol},
                           {"max_bytes", r.max_bytes},
                           {"latency_seconds", r.latency_seconds},
                           {"bus_bandwidth_bytes_per_s", r.bus_bandwidth_bytes_per_s}});
      arr.push_back({{"ranks", cc.ranks}, {"regimes", regimes}});
    }
    coll[op] = arr;
  }
  j["collectives"] = coll;
  Json kernels = Json::object();
  for (const auto& [name, k] : c.dispatch_kernels)
    kernels[name] = {{"fixed_seconds", k.fixed_seconds},
                     {"per_message_seconds", k.per_message_seconds},
                     {"scale_up_efficiency", k.scale_up_efficiency},
                     {"scale_out_efficiency", k.scale_out_efficiency},
                     {"per_sm_bytes_per_s", k.per_sm_bytes_per_s},
                     {"num_sms", k.num_sms},
                     {"sm_rows_per_token", k.sm_rows_per_token},
                     {"combine_fixed_seconds", k.combine_fixed_seconds},
                     {"scale_out_fixed_seconds", k.scale_out_fixed_seconds}};
  j["dispatch_kernels"] = kernels;
  return j;
}

} // namespace moescope
