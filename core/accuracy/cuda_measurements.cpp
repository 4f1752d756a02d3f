#include "accuracy/cuda_measurements.hpp"

#include <set>

#include <cmath>

#include "accuracy/operation_predictor.hpp"
#include "compute/operators.hpp"
#include "util/data_type.hpp"

namespace moescope {

// The attention_decode predictor's cached elements per token and KV group (compute_predictors.cpp).
std::int64_t attention_decode_stored_per_token(const Json& parameters);

bool is_cuda_measurement_json(const Json& json) {
  return json.is_object() && json.contains("schema");
}

std::string cuda_case_operation(const std::string& family, const std::string& op) {
  if (family == "gemm" && op == "cublaslt_matmul") return "gemm";
  if (family == "grouped_gemm" && op == "cublaslt_expert_loop") return "grouped_gemm";
  // Converted when a predictor of this name is registered (compute_predictors.cpp registers both).
  if (family == "attention_decode" && (op == "mla_decode" || op == "gqa_decode")) return "attention_decode";
  if (family == "hbm_bandwidth" && (op == "read" || op == "write" || op == "copy")) return "memory_stream";
  return "";
}

namespace {

std::string error_kind(const std::string& message) {
  for (const char* prefix :
       {"unsupported", "skipped", "verification failed", "setup failed", "allocation failed", "family failed"})
    if (message.rfind(std::string(prefix) + ":", 0) == 0) return prefix;
  return "other";
}

// A data type name the bench writes ("bf16", "fp8"); records a problem for an unknown one.
std::string dtype_param(JsonObjectReader& r, std::string_view key) {
  std::string v = r.string(key);
  if (!v.empty() && !parse_data_type(v)) {
    r.error(key, "unknown data type \"" + v + "\" (expected one of fp32 tf32 bf16 fp16 fp8 fp6 fp4 nvfp4 int8)");
    return "";
  }
  return v;
}

const std::vector<std::string>& gemm_scalings() {
  static const std::vector<std::string> s = {"none", "per_tensor", "block_128x128_weights_1x128_activations"};
  return s;
}

std::string scaling_suffix(const std::string& scaling) {
  return scaling == "block_128x128_weights_1x128_activations" ? "-block" : "";
}

std::string source_suffix(const Json& params) {
  auto m = params.find("model"), l = params.find("layer");
  std::string s;
  if (m != params.end() && m->is_string()) s += "-" + m->get<std::string>();
  if (l != params.end() && l->is_string()) s += (s.empty() ? "-" : ".") + l->get<std::string>();
  return s;
}

// Converts the params of one measured case; returns false (problems recorded) when they are unusable. `id` is a
// readable case id (made unique by the caller).
bool convert_params(const std::string& operation, const std::string& bench_op, const Json& params,
                    const std::string& file, const std::string& ptr, Diagnostics& d, Json& out, std::string& id) {
  const std::size_t before = d.size();
  JsonObjectReader r(params, file, ptr, d);
  if (!r.valid()) return false;
  out = Json::object();
  if (operation == "gemm") {
    const auto m = r.integer("m"), n = r.integer("n"), k = r.integer("k");
    const std::string dtype = dtype_param(r, "dtype");
    const std::string scaling = r.choice_or("scaling", gemm_scalings(), "none");
    const std::string odt = r.has("output_dtype") ? dtype_param(r, "output_dtype") : "bf16";
    r.accept("layout");
    r.accept("model");
    r.accept("layer");
    r.accept("weight_copies");
    r.accept("algorithm");
    r.accept("note");
    r.finish();
    out = {{"m", m}, {"n", n}, {"k", k}, {"dtype", dtype}, {"output_dtype", odt}};
    id = "gemm-" + dtype + scaling_suffix(scaling) + source_suffix(params) + "-m" + std::to_string(m) + "-n" +
         std::to_string(n) + "-k" + std::to_string(k);
  } else if (operation == "grouped_gemm") {
    std::vector<std::int64_t> groups;
    if (const Json* a = r.required_array("m_per_group")) {
      if (a->empty()) r.error("m_per_group", "expected at least one group");
      for (std::size_t i = 0; i < a->size(); ++i) {
        const Json& v = (*a)[i];
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
          d.add(file, r.pointer_of("m_per_group") + "/" + std::to_string(i),
                "expected a token count (integer >= 0), found " + describe_json(v));
        else
          groups.push_back(v.get<std::int64_t>());
      }
    }
    const auto n = r.integer("n"), k = r.integer("k");
    const std::string dtype = dtype_param(r, "dtype");
    const std::string scaling = r.choice_or("scaling", gemm_scalings(), "none");
    const std::string odt = r.has("output_dtype") ? dtype_param(r, "output_dtype") : "bf16";
    const std::string layout = r.choice_or("layout", {"contiguous", "masked"}, "contiguous");
    const std::string distribution = r.string_or("distribution", "");
    std::int64_t total = 0;
    for (auto g : groups)
      total += g;
    if (r.has("total_m") && r.integer("total_m", NumberRule::non_negative) != total)
      r.error("total_m", "expected the sum of m_per_group (" + std::to_string(total) + ")");
    if (r.has("groups") && r.integer("groups") != static_cast<std::int64_t>(groups.size()))
      r.error("groups", "expected the length of m_per_group (" + std::to_string(groups.size()) + ")");
    for (const char* key :
         {"power_law_alpha", "max_group_m", "active_groups", "model", "layer", "weight_copies", "note"})
      r.accept(key);
    r.finish();
    if (total == 0 && d.size() == before) d.add(file, r.pointer_of("m_per_group"), "expected at least one token");
    out = {{"tokens_per_group", groups}, {"n", n},          {"k", k}, {"dtype", dtype},
           {"output_dtype", odt},        {"layout", layout}};
    id = "grouped-" + dtype + scaling_suffix(scaling) + source_suffix(params) + "-n" + std::to_string(n) + "-k" +
         std::to_string(k) + "-g" + std::to_string(groups.size()) + "-t" + std::to_string(total) +
         (distribution.empty() ? "" : "-" + distribution);
  } else if (operation == "attention_decode") {
    const auto batch = r.integer("batch"), kv = r.integer("kv_length"), rows = r.integer("query_rows"),
               kvg = r.integer("kv_groups"), qk = r.integer("qk_dim"), v = r.integer("v_dim"),
               heads = r.integer("num_heads");
    r.integer("num_kv_heads");
    const std::string kvdt = dtype_param(r, "kv_dtype");
    const double kv_bytes = r.has("kv_bytes") ? r.number("kv_bytes", NumberRule::positive) : 0.0;
    for (const char* key : {"model", "note", "splits", "kv_copies"})
      r.accept(key);
    r.finish();
    out = {{"batch", batch}, {"kv_length", kv}, {"query_rows", rows}, {"kv_groups", kvg},
           {"qk_dim", qk},   {"v_dim", v},      {"num_heads", heads}, {"kv_dtype", kvdt}};
    // The cache the predictor reads must be the one the bench allocated (MLA: one shared latent row per token;
    // GQA: K and V rows per KV head).
    if (kv_bytes > 0 && d.size() == before) {
      const auto dt = parse_data_type(kvdt);
      const double expected =
          static_cast<double>(batch) * static_cast<double>(kv) *
          stored_bytes(static_cast<double>(kvg) * static_cast<double>(attention_decode_stored_per_token(out)),
                       dt.value_or(DataType::bf16));
      if (std::fabs(kv_bytes - expected) > 0.5)
        d.add(file, ptr + "/kv_bytes",
              "expected " + std::to_string(static_cast<std::int64_t>(expected)) +
                  " (batch x kv_length x kv_groups x the cached row: qk_dim shared by K and V when kv_groups is 1 "
                  "and qk_dim > v_dim (MLA latent), else qk_dim + v_dim), found " +
                  std::to_string(static_cast<std::int64_t>(kv_bytes)));
    }
    id = "attention" + source_suffix(params) + "-h" + std::to_string(heads) + "-b" + std::to_string(batch) + "-kv" +
         std::to_string(kv);
  } else if (operation == "memory_stream") {
    const auto bytes = r.integer("bytes");
    const double moved = r.number("bytes_moved", NumberRule::positive);
    r.choice("l2", {"cold"});
    for (const char* key : {"buffer_count", "blocks", "threads_per_block", "note"})
      r.accept(key);
    r.finish();
    const std::int64_t read = bench_op == "write" ? 0 : bytes, written = bench_op == "read" ? 0 : bytes;
    if (moved != static_cast<double>(read + written))
      d.add(file, ptr + "/bytes_moved",
            "expected " + std::to_string(read + written) + " (bytes read + written by " + bench_op + ")");
    out = {{"read_bytes", read}, {"write_bytes", written}};
    id = "hbm-" + bench_op + "-" + std::to_string(bytes);
  }
  return d.size() == before;
}

} // namespace

CudaConversion read_cuda_measurements(const Json& json, const std::string& file, const CudaConversionOptions& options,
                                      Diagnostics& d) {
  CudaConversion conv;
  conv.suite.file = file;
  JsonObjectReader r(json, file, "", d);
  if (!r.valid()) return conv;
  const std::string schema = r.string("schema");
  if (r.has("schema") && !schema.empty() && schema != kCudaMeasurementSchema) {
    r.error("schema", "expected \"" + std::string(kCudaMeasurementSchema) +
                          "\" (the format this moescope reads), found \"" + schema + "\"");
    return conv; // another version: its cases may mean something else
  }
  if (options.device.empty()) d.add(file, "", "no hwdb accelerator given for the measured GPU (--device)");
  conv.suite.name = r.string_or("tool", "moescope_cuda_bench");
  if (JsonObjectReader dev = r.object("device"); dev.valid()) {
    conv.gpu_name = dev.string("name");
    // Informative device facts: accepted as written by the bench.
    for (const char* key : {"compute_capability", "sm_count", "memory_bytes", "memory_clock_hz", "sm_clock_hz",
                            "l2_bytes", "memory_bus_width_bits", "peak_memory_bytes_per_s",
                            "shared_memory_per_sm_bytes", "ecc_enabled", "pci_bus_id", "index", "uuid", "note"})
      dev.accept(key);
    dev.finish();
  }
  conv.date_utc = r.string("date_utc");
  conv.complete = r.boolean_or("complete", true);
  conv.suite.description =
      "CUDA measurements of " + conv.gpu_name + " (" + conv.date_utc + ")" + (conv.complete ? "" : ", incomplete run");
  for (const char* key :
       {"device_count", "devices", "driver_version", "cuda_driver_version", "cuda_runtime_version", "cublas_version",
        "nccl_version", "host", "options", "abort_reason", "suite_seconds", "family_seconds", "notes", "note"})
    r.accept(key);
  // CUDA graphs unless the run says otherwise (a case's timing.method is more precise).
  bool run_graphs = true;
  if (const Json* o = json.is_object() && json.contains("options") ? &json.at("options") : nullptr)
    if (o->is_object() && o->contains("cuda_graphs") && o->at("cuda_graphs").is_boolean())
      run_graphs = o->at("cuda_graphs").get<bool>();

  const Json* cases = r.required_array("cases");
  r.finish();
  if (!cases) return conv;
  std::set<std::string> ids;
  std::map<std::string, std::size_t> index_by_operation;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    const std::string ptr = "/cases/" + std::to_string(i);
    JsonObjectReader c((*cases)[i], file, ptr, d);
    if (!c.valid()) continue;
    ++conv.total_cases;
    const std::string family = c.string("family");
    const std::string op = c.string("op");
    const Json* params = c.raw("params");
    if (!params)
      c.error("params", "missing (expected the object of the case's parameters)");
    else if (!params->is_object())
      c.error("params", "expected an object, found " + describe_json(*params));
    const Json* error = c.raw("error");
    const Json* median = c.raw("median_seconds");
    for (const char* key : {"min_seconds", "max_seconds", "repetitions", "derived"})
      c.accept(key);
    if (!error) {
      c.error("error", "missing (expected null for a measured case, or the error message)");
    } else if (error->is_string()) {
      ++conv.errored_cases;
      ++conv.errors_by_kind[error_kind(error->get<std::string>())];
      c.accept("timing");
      c.finish();
      continue;
    } else if (!error->is_null()) {
      c.error("error", "expected null or an error message, found " + describe_json(*error));
    }
    double seconds = 0;
    if (!median) {
      c.error("median_seconds", "missing (expected the median time per call in seconds)");
    } else if (!median->is_number() || !(median->get<double>() > 0)) {
      c.error("median_seconds",
              "expected a positive number of seconds (the case has no error), found " + describe_json(*median));
    } else {
      seconds = median->get<double>();
    }
    bool graphs = run_graphs;
    if (auto t = c.object_if_present("timing")) {
      if (t->valid()) {
        const std::string method =
            t->choice("method", {"cuda-events-graph", "cuda-events", "host-clock", "cuda-events-max-over-ranks"});
        graphs = method == "cuda-events-graph";
        for (const char* key : {"inner_iterations", "warmup", "samples_seconds"})
          t->accept(key);
        t->finish();
      }
    }
    c.finish();
    if (family.empty() || op.empty() || !params || !params->is_object() || !(seconds > 0) || !error ||
        !error->is_null())
      continue;

    const std::string operation = cuda_case_operation(family, op);
    if (operation.empty()) {
      ++conv.not_modeled[family + "/" + op];
      continue;
    }
    // The parameters of every family with a defined conversion are checked, predictor or not.
    ValidationCase v;
    std::string id;
    if (!convert_params(operation, op, *params, file, ptr + "/params", d, v.parameters, id)) continue;
    const OperationPredictor* predictor = find_operation_predictor(operation);
    if (!predictor) {
      ++conv.unmapped[family + "/" + op];
      continue;
    }
    v.parameters["cuda_graphs"] = graphs;
    if (!ids.insert(id).second) {
      int dup = 2;
      while (!ids.insert(id + "-" + std::to_string(dup)).second)
        ++dup;
      id += "-" + std::to_string(dup);
    }
    v.id = id;
    v.device = options.device;
    v.operation = operation;
    v.measured = seconds;
    v.unit = "seconds";
    v.source = (conv.gpu_name.empty() ? std::string("CUDA measurement") : conv.gpu_name) + ", moescope_cuda_bench " +
               conv.date_utc;
    v.pointer = ptr;
    v.suite_file = file;
    const std::size_t k = index_by_operation[operation]++;
    v.split = options.holdout_every > 1 && k % static_cast<std::size_t>(options.holdout_every) ==
                                               static_cast<std::size_t>(options.holdout_every - 1)
                  ? CaseSplit::holdout
                  : CaseSplit::calibration;
    // The bench's expert loop launches one kernel per active expert; ask the predictor for that when it supports
    // it (an optional "kernel_per_group" parameter), else it is predicted as one grouped kernel (counted).
    if (operation == "grouped_gemm") {
      ValidationCase probe = v;
      probe.parameters["kernel_per_group"] = true;
      Diagnostics scratch;
      predictor->check(probe, file, scratch);
      if (scratch.empty())
        v = std::move(probe);
      else
        ++conv.grouped_as_single_kernel;
    }
    // The predictor must accept what we built (a mismatch is a bug of this converter or of the predictor).
    Diagnostics check;
    predictor->check(v, file, check);
    if (!check.empty()) {
      for (const auto& item : check.items())
        d.add(item.file, item.location,
              "converted " + family + "/" + op + " case rejected by predictor " + operation + ": " + item.message);
      continue;
    }
    ++conv.converted_by_operation[operation];
    conv.suite.cases.push_back(std::move(v));
  }
  return conv;
}

CudaConversion load_cuda_measurements(const std::string& path, const CudaConversionOptions& options) {
  Diagnostics d;
  CudaConversion c;
  auto json = read_json_file(path, d);
  if (json) c = read_cuda_measurements(*json, path, options, d);
  c.suite.file = path;
  d.throw_if_any();
  return c;
}

Json cuda_conversion_summary_to_json(const CudaConversion& c) {
  std::size_t converted = 0, unmapped = 0, not_modeled = 0;
  for (const auto& [op, n] : c.converted_by_operation)
    converted += n;
  for (const auto& [op, n] : c.unmapped)
    unmapped += n;
  for (const auto& [op, n] : c.not_modeled)
    not_modeled += n;
  return {{"gpu", c.gpu_name},
          {"date_utc", c.date_utc},
          {"complete", c.complete},
          {"cases", c.total_cases},
          {"converted", converted},
          {"converted_by_operation", c.converted_by_operation},
          {"errored", c.errored_cases},
          {"errors_by_kind", c.errors_by_kind},
          {"without_predictor", unmapped},
          {"without_predictor_by_family_op", c.unmapped},
          {"not_modeled", not_modeled},
          {"not_modeled_by_family_op", c.not_modeled},
          {"grouped_as_single_kernel", c.grouped_as_single_kernel}};
}

} // namespace moescope
