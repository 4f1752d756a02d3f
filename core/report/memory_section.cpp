#include "report/memory_section.hpp"

#include "model/parameter_count.hpp"
#include "util/text_table.hpp"

namespace moescope {

std::string MemorySection::key() const {
  return "memory";
}

Json MemorySection::view(const ResolvedScenario& s, const DeploymentResult& r) const {
  const ParameterCount p = count_parameters(s.model);
  const MemoryFootprint& f = r.memory;
  Json j;
  j["total_parameters"] = p.total;
  j["active_parameters_per_token"] = p.active_per_token;
  j["weights_per_gpu_bytes"] = {{"attention", f.attention_weight_bytes},
                                {"dense_ffn", f.dense_ffn_weight_bytes},
                                {"routed_experts", f.routed_expert_weight_bytes},
                                {"shared_experts", f.shared_expert_weight_bytes},
                                {"router_and_norms", f.router_and_norm_weight_bytes},
                                {"embedding_and_lm_head", f.embedding_and_head_weight_bytes},
                                {"total", f.weight_bytes}};
  j["kv_cache_bytes_per_token_per_gpu"] = f.kv_cache_bytes_per_token;
  j["kv_cache_sequences_per_gpu"] = f.sequences_per_gpu;
  j["kv_cache_per_gpu_bytes"] = f.kv_cache_bytes;
  j["total_per_gpu_bytes"] = f.total_bytes;
  j["hbm_capacity_bytes"] = f.capacity_bytes;
  j["headroom_bytes"] = f.headroom_bytes;
  j["fits"] = f.fits;
  j["max_batch_per_gpu_that_fits"] = f.max_batch_per_gpu_that_fits;
  return j;
}

std::string MemorySection::render_text(const Json& j) const {
  std::string out = "Memory per GPU\n";
  out += "  parameters: " + format_fixed(j["total_parameters"].get<double>() / 1e9, 1) + "B total, " +
         format_fixed(j["active_parameters_per_token"].get<double>() / 1e9, 1) + "B active per token\n";
  TextTable t({"component", "bytes per GPU"});
  const auto& w = j["weights_per_gpu_bytes"];
  for (const char* k : {"attention", "dense_ffn", "routed_experts", "shared_experts", "router_and_norms",
                        "embedding_and_lm_head", "total"})
    t.add_row({std::string("weights: ") + k, format_bytes(w[k].get<double>())});
  t.add_row({"KV cache (" + std::to_string(j["kv_cache_sequences_per_gpu"].get<std::int64_t>()) + " sequences)",
             format_bytes(j["kv_cache_per_gpu_bytes"].get<double>())});
  t.add_row({"total", format_bytes(j["total_per_gpu_bytes"].get<double>())});
  t.add_row({"HBM capacity", format_bytes(j["hbm_capacity_bytes"].get<double>())});
  std::string table = t.render({1});
  for (std::size_t pos = 0; pos < table.size();) {
    auto nl = table.find('\n', pos);
    out += "  " + table.substr(pos, nl - pos + 1);
    pos = nl + 1;
  }
  out += std::string("  fits: ") + (j["fits"].get<bool>() ? "yes" : "NO") + " (headroom " +
         format_bytes(j["headroom_bytes"].get<double>()) + "; largest decode batch per GPU that fits: " +
         std::to_string(j["max_batch_per_gpu_that_fits"].get<std::int64_t>()) + ")\n";
  return out;
}

} // namespace moescope
