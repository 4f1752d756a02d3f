// Validation predictors of the compute model: kernels and modules measured on one GPU. The parameters of each
// operation are documented in docs/validation-format.md.
#include <algorithm>
#include <cmath>

#include "accuracy/operation_predictor.hpp"
#include "compute/compute_engine.hpp"
#include "compute/model_compute.hpp"
#include "compute/operators.hpp"

namespace moescope {

// Elements the attention_decode predictor takes as cached per token and KV group (defined below; the CUDA converter
// checks the bench's kv_bytes against it).
std::int64_t attention_decode_stored_per_token(const Json& parameters);

namespace {

std::string params_pointer(const ValidationCase& c) {
  return c.pointer + "/parameters";
}

void check_dtype(JsonObjectReader& r, std::string_view key, bool required) {
  if (!required && !r.has(key)) return;
  std::string v = r.string(key);
  if (!v.empty() && !parse_data_type(v))
    r.error(key, "unknown data type \"" + v + "\" (expected one of fp32 tf32 bf16 fp16 fp8 fp6 fp4 nvfp4 int8)");
}

DataType dtype_of(const Json& p, const char* key, DataType fallback) {
  auto it = p.find(key);
  if (it == p.end() || !it->is_string()) return fallback;
  return parse_data_type(it->get<std::string>()).value_or(fallback);
}

std::int64_t int_of(const Json& p, const char* key, std::int64_t fallback = 0) {
  auto it = p.find(key);
  return it == p.end() || !it->is_number() ? fallback : it->get<std::int64_t>();
}

bool bool_of(const Json& p, const char* key, bool fallback) {
  auto it = p.find(key);
  return it == p.end() || !it->is_boolean() ? fallback : it->get<bool>();
}

void check_unit(const ValidationCase& c, const std::string& file, Diagnostics& d,
                const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), c.unit) != allowed.end()) return;
  std::string list;
  for (const auto& a : allowed)
    list += (list.empty() ? "" : ", ") + a;
  d.add(file, c.pointer + "/unit", "operation " + c.operation + " predicts " + list + ", not \"" + c.unit + "\"");
}

void check_int_array(JsonObjectReader& r, std::string_view key, Diagnostics& d, bool nested) {
  const Json* a = r.required_array(key);
  if (!a) return;
  auto check_flat = [&](const Json& arr, const std::string& ptr) {
    if (!arr.is_array() || arr.empty()) {
      d.add(r.file(), ptr, "expected a non-empty array of token counts (integers >= 0), found " + describe_json(arr));
      return;
    }
    for (std::size_t i = 0; i < arr.size(); ++i)
      if (!arr[i].is_number_integer() || arr[i].get<std::int64_t>() < 0)
        d.add(r.file(), ptr + "/" + std::to_string(i),
              "expected a token count (integer >= 0), found " + describe_json(arr[i]));
  };
  if (!nested) {
    check_flat(*a, r.pointer_of(key));
    return;
  }
  if (a->empty()) d.add(r.file(), r.pointer_of(key), "expected at least one sample");
  for (std::size_t i = 0; i < a->size(); ++i)
    check_flat((*a)[i], r.pointer_of(key) + "/" + std::to_string(i));
}

ComputeEngine make_engine(const ValidationCase& c, const PredictionContext& ctx, bool cuda_graphs) {
  const Accelerator& acc = ctx.accelerator(c);
  EngineOptions o;
  o.mode = ctx.mode == TimeModelMode::speed_of_light ? EngineMode::speed_of_light : EngineMode::calibrated;
  o.cuda_graphs = cuda_graphs;
  return ComputeEngine(acc, ctx.compute_calibration(acc.name), o);
}

double in_unit(const ValidationCase& c, double seconds, double flop, double bytes) {
  if (c.unit == "flop_per_s") return seconds > 0 ? flop / seconds : 0.0;
  if (c.unit == "bytes_per_s") return seconds > 0 ? bytes / seconds : 0.0;
  return seconds;
}

// ---- gemm: one dense GEMM y[m x n] = x[m x k] W^T ----
class GemmPredictor : public OperationPredictor {
public:
  std::string name() const override { return "gemm"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    r.integer("m");
    r.integer("n");
    r.integer("k");
    check_dtype(r, "dtype", true);
    check_dtype(r, "output_dtype", false);
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    r.finish();
    check_unit(c, file, d, {"seconds", "flop_per_s", "bytes_per_s"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    ComputeEngine e = make_engine(c, ctx, bool_of(p, "cuda_graphs", true));
    OperatorWork w = dense_gemm("gemm", "gemm", int_of(p, "m"), int_of(p, "n"), int_of(p, "k"),
                                dtype_of(p, "dtype", DataType::fp8), dtype_of(p, "output_dtype", DataType::bf16));
    return in_unit(c, e.evaluate(w).seconds, w.flop, w.bytes());
  }
};

// ---- grouped_gemm: one GEMM per group with its own rows, contiguous or masked layout ----
class GroupedGemmPredictor : public OperationPredictor {
public:
  std::string name() const override { return "grouped_gemm"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    r.integer("n");
    r.integer("k");
    check_dtype(r, "dtype", true);
    check_dtype(r, "output_dtype", false);
    const std::string layout = r.choice("layout", {"contiguous", "masked"});
    check_int_array(r, "tokens_per_group", d, false);
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    if (r.has("kernel_per_group") && r.boolean("kernel_per_group") && layout == "masked")
      r.error("kernel_per_group",
              "one kernel per group computes each group's own rows; the masked layout (groups padded to a common "
              "size in one kernel) cannot be combined with it");
    r.finish();
    check_unit(c, file, d, {"seconds", "flop_per_s", "bytes_per_s"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    ComputeEngine e = make_engine(c, ctx, bool_of(p, "cuda_graphs", true));
    std::vector<std::int64_t> groups = p.at("tokens_per_group").get<std::vector<std::int64_t>>();
    const GroupedLayout layout =
        p.value("layout", "contiguous") == "masked" ? GroupedLayout::masked : GroupedLayout::contiguous;
    const DataType wdt = dtype_of(p, "dtype", DataType::fp8), odt = dtype_of(p, "output_dtype", DataType::bf16);
    OperatorWork w =
        grouped_gemm("grouped_gemm", "routed_experts", groups, int_of(p, "n"), int_of(p, "k"), wdt, layout, odt);
    if (!bool_of(p, "kernel_per_group", false)) return in_unit(c, e.evaluate(w).seconds, w.flop, w.bytes());
    // A loop of dense GEMMs, one kernel (with its own tiles, waves and per-kernel overhead) per active group; the
    // FLOPs and bytes are those of the grouped operator.
    double seconds = 0;
    for (const OperatorWork& g : grouped_gemm_kernel_per_group("grouped_gemm", "routed_experts", groups, int_of(p, "n"),
                                                               int_of(p, "k"), wdt, odt))
      seconds += e.evaluate(g).seconds;
    return in_unit(c, seconds, w.flop, w.bytes());
  }
};

// ---- attention_decode: one decode step of attention over a KV cache, as moescope_cuda_bench's split-KV kernel
// (validation/cuda/attention_decode.cu) computes it: one query token per sequence, `num_heads` query heads in
// blocks of `query_rows` rows, `kv_groups` independent KV heads; a split kernel and a combine kernel ----
class AttentionDecodePredictor : public OperationPredictor {
public:
  std::string name() const override { return "attention_decode"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    r.integer("batch");
    r.integer("kv_length");
    const auto rows = r.integer("query_rows");
    const auto groups = r.integer("kv_groups");
    r.integer("qk_dim");
    r.integer("v_dim");
    const auto heads = r.integer("num_heads");
    check_dtype(r, "kv_dtype", true);
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    if (heads > 0 && groups > 0 && heads % groups != 0)
      r.error("kv_groups",
              "expected a divisor of num_heads (" + std::to_string(heads) + "), found " + std::to_string(groups));
    else if (heads > 0 && groups > 0 && rows > 0 && (heads / groups) % rows != 0)
      r.error("query_rows", "expected a divisor of the query heads per KV group (num_heads / kv_groups = " +
                                std::to_string(heads / groups) + "), found " + std::to_string(rows));
    r.finish();
    check_unit(c, file, d, {"seconds"});
  }
  // The FLOPs, bytes and parallel shape of the kernel (exposed to the tests through predict()).
  static OperatorWork work(const Json& p) {
    AttentionParams a;
    a.batch = int_of(p, "batch", 1);
    a.query_tokens = 1;
    a.kv_length = int_of(p, "kv_length", 1);
    a.q_heads = int_of(p, "num_heads", 1);
    a.kv_heads = std::max<std::int64_t>(int_of(p, "kv_groups", 1), 1);
    a.qk_dim = int_of(p, "qk_dim", 128);
    a.v_dim = int_of(p, "v_dim", 128);
    a.kv_stored_per_head = attention_decode_stored_per_token(p);
    a.kv_dtype = dtype_of(p, "kv_dtype", DataType::bf16);
    a.activation_dtype = DataType::bf16;
    a.causal = true; // one new token: it sees all kv_length keys
    OperatorWork w = attention_op("attention_decode", "attention", a);
    // The kernel reads the cache of kv_length tokens and writes no new entry.
    w.kv_bytes = static_cast<double>(a.batch) * static_cast<double>(a.kv_length) *
                 stored_bytes(static_cast<double>(a.kv_heads) * static_cast<double>(a.kv_stored_per_head), a.kv_dtype);
    // Parallel shape of the kernel: a block per query_rows heads of a sequence (and per KV split), whatever KV
    // head they share, each padded to kKernelQueryTileRows rows; the split kernel and the combine kernel.
    const std::int64_t rows = std::max<std::int64_t>(int_of(p, "query_rows", 1), 1);
    w.attention.query_rows = rows;
    w.attention.kv_groups = std::max<std::int64_t>(a.q_heads / rows, 1);
    w.kernels = 2;
    return w;
  }
  // Query rows of one CTA of the bench's kernel (kRows in attention_decode.cu, the WMMA M dimension): a block of
  // query_rows heads is padded to it. A property of this kernel, not of the device (the calibration's
  // attention_query_tile_rows describes the serving kernels, e.g. FlashMLA's 64).
  static constexpr std::int64_t kKernelQueryTileRows = 16;
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Accelerator& acc = ctx.accelerator(c);
    ComputeCalibration cal = ctx.compute_calibration(acc.name);
    cal.attention_query_tile_rows = kKernelQueryTileRows;
    EngineOptions o;
    o.mode = ctx.mode == TimeModelMode::speed_of_light ? EngineMode::speed_of_light : EngineMode::calibrated;
    o.cuda_graphs = bool_of(c.parameters, "cuda_graphs", true);
    return ComputeEngine(acc, std::move(cal), o).evaluate(work(c.parameters)).seconds;
  }
};

// ---- memory_stream: one streaming kernel reading `read_bytes` and writing `write_bytes` of HBM ----
class MemoryStreamPredictor : public OperationPredictor {
public:
  std::string name() const override { return "memory_stream"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    const auto read = r.integer("read_bytes", NumberRule::non_negative);
    const auto written = r.integer("write_bytes", NumberRule::non_negative);
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    if (r.has("read_bytes") && r.has("write_bytes") && read == 0 && written == 0)
      r.error_here("expected read_bytes or write_bytes to be > 0 (a kernel that moves nothing)");
    r.finish();
    check_unit(c, file, d, {"seconds"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    ComputeEngine e = make_engine(c, ctx, bool_of(p, "cuda_graphs", true));
    const OperatorWork w = memory_stream("memory_stream", "memory", static_cast<double>(int_of(p, "read_bytes")),
                                         static_cast<double>(int_of(p, "write_bytes")));
    return e.evaluate(w).seconds;
  }
};

// ---- moe_experts: the routed-expert compute of one MoE layer on the measured GPU (SGLang DeepEP + DeepGEMM) ----
// decode (masked layout, CUDA graphs): up/gate grouped GEMM, SiLU-and-multiply with fp8 quantization, down GEMM.
// prefill (contiguous layout, eager): scatter of the received rows into per-expert blocks, up/gate, activation,
// down, and the gather back to the received rows.
class MoeExpertsPredictor : public OperationPredictor {
public:
  std::string name() const override { return "moe_experts"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    r.choice("phase", {"decode", "prefill"});
    r.integer("hidden_size");
    r.integer("inter_size");
    r.integer("topk");
    r.integer("num_experts");
    r.integer("ep");
    r.integer_or("tp", 1);
    check_dtype(r, "dtype", true);
    check_int_array(r, "tokens_per_expert_samples", d, true);
    r.integer_or("received_tokens", 0, NumberRule::non_negative);
    r.accept("num_tokens");
    r.accept("distribution");
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    r.finish();
    check_unit(c, file, d, {"seconds"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    const bool decode = p.value("phase", "decode") == "decode";
    ComputeEngine e = make_engine(c, ctx, bool_of(p, "cuda_graphs", decode));
    const std::int64_t hidden = int_of(p, "hidden_size"),
                       inter = int_of(p, "inter_size") / std::max<std::int64_t>(int_of(p, "tp", 1), 1);
    const DataType wdt = dtype_of(p, "dtype", DataType::fp8);
    const auto& samples = p.at("tokens_per_expert_samples");
    const double received = static_cast<double>(int_of(p, "received_tokens"));
    double total = 0;
    std::vector<std::int64_t> counts;
    for (const auto& s : samples) {
      counts = s.get<std::vector<std::int64_t>>();
      total += module_seconds(e, counts, hidden, inter, wdt, decode, received);
    }
    return samples.empty() ? 0.0 : total / static_cast<double>(samples.size());
  }

  static double module_seconds(const ComputeEngine& e, const std::vector<std::int64_t>& counts, std::int64_t hidden,
                               std::int64_t inter, DataType wdt, bool decode, double received) {
    double t = 0;
    for (const OperatorWork& op :
         routed_expert_operators(counts, hidden, inter, 2.0, wdt, DataType::bf16, wdt,
                                 decode ? GroupedLayout::masked : GroupedLayout::contiguous, received))
      t += e.evaluate(op).seconds;
    return t;
  }
};

// ---- mla_decode_module: DeepSeek-style MLA attention block of one decode step (projections, absorbed
// attention, output projection) for `batch` sequences with `kv_length` cached tokens, `num_heads` local heads ----
class MlaDecodeModulePredictor : public OperationPredictor {
public:
  std::string name() const override { return "mla_decode_module"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    r.integer("batch");
    r.integer("kv_length");
    r.integer("num_heads");
    r.integer("hidden_size");
    r.integer_or("q_lora_rank", 0, NumberRule::non_negative);
    r.integer("kv_lora_rank");
    r.integer("qk_nope_head_dim");
    r.integer("qk_rope_head_dim");
    r.integer("v_head_dim");
    check_dtype(r, "weight_dtype", true);
    check_dtype(r, "kv_cache_dtype", true);
    r.accept("kernel_source");
    if (r.has("cuda_graphs")) r.boolean("cuda_graphs");
    r.finish();
    check_unit(c, file, d, {"seconds"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    ComputeEngine e = make_engine(c, ctx, bool_of(p, "cuda_graphs", true));
    ModelArchitecture m;
    m.hidden_size = int_of(p, "hidden_size");
    m.num_layers = 1;
    m.attention.kind = AttentionKind::mla;
    m.attention.num_heads = int_of(p, "num_heads");
    m.attention.num_kv_heads = m.attention.num_heads;
    m.attention.mla.q_lora_rank = int_of(p, "q_lora_rank");
    m.attention.mla.kv_lora_rank = int_of(p, "kv_lora_rank");
    m.attention.mla.qk_nope_head_dim = int_of(p, "qk_nope_head_dim");
    m.attention.mla.qk_rope_head_dim = int_of(p, "qk_rope_head_dim");
    m.attention.mla.v_head_dim = int_of(p, "v_head_dim");
    m.dense_intermediate_size = 1;
    ResolvedDeployment d;
    DataTypes dt;
    dt.weights = dtype_of(p, "weight_dtype", DataType::fp8);
    dt.kv_cache = dtype_of(p, "kv_cache_dtype", DataType::fp8);
    LayerTokens t;
    t.phase = Phase::decode;
    t.rank_sequences = int_of(p, "batch");
    t.rank_tokens = t.rank_sequences;
    t.query_tokens = 1;
    t.kv_length = int_of(p, "kv_length") + 1;
    t.moe_tokens_per_gpu = t.rank_tokens;
    double s = 0;
    for (const auto& op : layer_operators(m, d, dt, t, false, false))
      if (op.component == "attention") s += e.evaluate(op).seconds;
    return s;
  }
};

// ---- gemm_max_achievable: the best dense-GEMM throughput over large square shapes (mamf-finder style) ----
class GemmMaxAchievablePredictor : public OperationPredictor {
public:
  std::string name() const override { return "gemm_max_achievable"; }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    JsonObjectReader r(c.parameters, file, params_pointer(c), d);
    check_dtype(r, "dtype", true);
    r.finish();
    check_unit(c, file, d, {"flop_per_s"});
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    ComputeEngine e = make_engine(c, ctx, true);
    const DataType t = dtype_of(c.parameters, "dtype", DataType::bf16);
    double best = 0;
    for (std::int64_t s : {4096, 6144, 8192, 12288, 16384}) {
      OperatorWork w = dense_gemm("gemm", "gemm", s, s, s, t, DataType::bf16);
      best = std::max(best, w.flop / e.evaluate(w).seconds);
    }
    return best;
  }
};

} // namespace

std::int64_t attention_decode_stored_per_token(const Json& p) {
  const std::int64_t qk = int_of(p, "qk_dim", 128), v = int_of(p, "v_dim", 128);
  // MLA's latent cache: one row of qk_dim per token (kv_lora_rank + rope), shared by all heads, whose first v_dim
  // values are the values. Otherwise separate K (qk_dim) and V (v_dim) rows per KV head.
  return int_of(p, "kv_groups", 1) == 1 && qk > v ? qk : qk + v;
}

std::unique_ptr<OperationPredictor> make_gemm_predictor() {
  return std::make_unique<GemmPredictor>();
}
std::unique_ptr<OperationPredictor> make_grouped_gemm_predictor() {
  return std::make_unique<GroupedGemmPredictor>();
}
std::unique_ptr<OperationPredictor> make_moe_experts_predictor() {
  return std::make_unique<MoeExpertsPredictor>();
}
std::unique_ptr<OperationPredictor> make_mla_decode_module_predictor() {
  return std::make_unique<MlaDecodeModulePredictor>();
}
std::unique_ptr<OperationPredictor> make_gemm_max_achievable_predictor() {
  return std::make_unique<GemmMaxAchievablePredictor>();
}
std::unique_ptr<OperationPredictor> make_attention_decode_predictor() {
  return std::make_unique<AttentionDecodePredictor>();
}
std::unique_ptr<OperationPredictor> make_memory_stream_predictor() {
  return std::make_unique<MemoryStreamPredictor>();
}

} // namespace moescope
