#include "report/engine_section.hpp"

#include "engine/step_model.hpp"
#include "util/text_table.hpp"

namespace moescope {

std::string EngineSection::key() const {
  return "engine";
}

Json EngineSection::view(const ResolvedScenario&, const DeploymentResult& r) const {
  return deployment_result_to_json(r);
}

namespace {

std::string indent(const std::string& table) {
  std::string out;
  for (std::size_t pos = 0; pos < table.size();) {
    auto nl = table.find('\n', pos);
    if (nl == std::string::npos) nl = table.size() - 1;
    out += "  " + table.substr(pos, nl - pos + 1);
    pos = nl + 1;
  }
  return out;
}

std::string pct(double x) {
  return format_fixed(100.0 * x, 1) + "%";
}

double num(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

} // namespace

std::string EngineSection::render_text(const Json& j) const {
  std::string out = "End-to-end step model (" + j.value("mode", std::string("calibrated")) + ", overlap " +
                    j.value("overlap", std::string("none")) + ")\n";
  TextTable t({"phase", "GPUs", "latency", "tokens/s/GPU", "tokens/s/node", "step", "step (none)", "step (two-batch)",
               "step (two-batch ideal)", "step (intra-layer)"});
  for (const char* ph : {"prefill", "decode"}) {
    if (!j.contains(ph)) continue;
    const Json& p = j[ph];
    const bool decode = std::string(ph) == "decode";
    const std::string lat =
        decode ? "TPOT " + format_seconds(num(p, "tpot_seconds")) : "TTFT " + format_seconds(num(p, "ttft_seconds"));
    const Json& by = p["step_seconds_by_overlap"];
    t.add_row({ph, std::to_string(p.value("gpus", 0)), lat, format_fixed(num(p, "tokens_per_s_per_gpu"), 0),
               format_fixed(num(p, "tokens_per_s_per_node"), 0), format_seconds(num(p, "step_seconds")),
               format_seconds(num(by, "none")), format_seconds(num(by, "two_batch")),
               format_seconds(num(by, "two_batch_ideal")), format_seconds(num(by, "intra_layer"))});
  }
  out += indent(t.render({1, 3, 4, 5, 6, 7, 8, 9}));
  for (const char* ph : {"prefill", "decode"}) {
    if (!j.contains(ph)) continue;
    const Json& p = j[ph];
    const Json& u = p["utilization"];
    out += std::string("  ") + ph + ": utilization compute " + pct(num(u, "compute")) + ", HBM bandwidth " +
           pct(num(u, "hbm_bandwidth")) + ", scale-up " + pct(num(u, "scale_up")) + ", scale-out " +
           pct(num(u, "scale_out")) + "; memory per GPU " + format_bytes(num(p["memory_per_gpu"], "total_bytes")) +
           " of " + format_bytes(num(p["memory_per_gpu"], "capacity_bytes"));
    if (std::string(ph) == "decode")
      out += "; batch " + format_fixed(num(p, "batch_per_gpu"), 0) + "/GPU (fits up to " +
             std::to_string(p["memory_per_gpu"].value("max_batch_per_gpu_that_fits", 0)) + ")";
    if (p.contains("cost_per_million_tokens_usd"))
      out += "; $" + format_fixed(num(p, "cost_per_million_tokens_usd"), 3) + "/M tokens";
    if (p.contains("energy_per_token_joules"))
      out += "; " + format_fixed(num(p, "energy_per_token_joules"), 3) + " J/token (TDP)";
    out += "\n";
    if (num(p["step_seconds_by_overlap"], "two_batch") > 0) {
      // The two-batch schedule (SGLang's issue order, two streams) against the ideal (the longer stream).
      out += "  " + std::string(ph) + ": two-batch overlap " +
             format_seconds(num(p["step_seconds_by_overlap"], "two_batch")) + " (ideal " +
             format_seconds(num(p["step_seconds_by_overlap"], "two_batch_ideal")) +
             "); compute stream waiting for communication " + format_seconds(num(p, "two_batch_compute_idle_seconds"));
      if (num(p, "communication_sms") > 0)
        out += "; communication kernels hold " + format_fixed(num(p, "communication_sms"), 0) +
               " SMs, concurrent compute runs on the rest";
      out += "\n";
    }
    if (p.contains("pp") && p["pp"].get<int>() > 1)
      out += "  " + std::string(ph) + ": pipeline " + std::to_string(p["pp"].get<int>()) + " stages, " +
             std::to_string(p["microbatches"].get<int>()) + " micro-batches, bubble " +
             pct(num(p, "pipeline_bubble_fraction")) + "\n";
  }
  // Per-layer breakdown: seconds per layer occurrence by component, and the step total (no overlap).
  for (const char* ph : {"prefill", "decode"}) {
    if (!j.contains(ph)) continue;
    const Json& p = j[ph];
    std::vector<std::string> header = {"component"};
    for (const auto& l : p["layers"])
      header.push_back(l["id"].get<std::string>() + " x" + std::to_string(l["count"].get<int>()));
    header.push_back("per step");
    header.push_back("share");
    TextTable b(header);
    const Json& comps = p["step_seconds_by_component_no_overlap"];
    double total = 0;
    for (auto it = comps.begin(); it != comps.end(); ++it)
      total += it.value().get<double>();
    std::vector<std::string> order = engine_components();
    for (const char* extra : {"embedding", "lm_head", "mtp", "pipeline_send"})
      order.push_back(extra);
    for (const auto& c : order) {
      if (!comps.contains(c) || comps[c].get<double>() <= 0) continue;
      std::vector<std::string> row = {c == "routed_experts" ? "routed experts (grouped GEMM)" : c};
      for (const auto& l : p["layers"]) {
        const Json& s = l["seconds_by_component"];
        row.push_back(s.contains(c) ? format_seconds(s[c].get<double>()) : "-");
      }
      row.push_back(format_seconds(comps[c].get<double>()));
      row.push_back(total > 0 ? pct(comps[c].get<double>() / total) : "-");
      b.add_row(row);
    }
    std::vector<std::string> row = {"layer (configured overlap)"};
    for (const auto& l : p["layers"])
      row.push_back(format_seconds(l["seconds"].get<double>()));
    row.push_back(format_seconds(num(p, "stage_seconds")));
    row.push_back("");
    b.add_row(row);
    std::vector<std::size_t> right;
    for (std::size_t i = 1; i < header.size(); ++i)
      right.push_back(i);
    out += std::string("  ") + ph + " breakdown (seconds per layer; per step without overlap):\n";
    out += indent(b.render(right));
    if (p.contains("moe")) {
      const Json& m = p["moe"];
      out += "  " + std::string(ph) + " MoE: " + m["kernel"].get<std::string>() + ", placement " +
             m["placement"].get<std::string>() +
             (m.value("replica_rule", std::string()).empty()
                  ? std::string()
                  : " (replica rule " + m["replica_rule"].get<std::string>() + ")") +
             ", routing " + m["routing"].get<std::string>() + ", " + format_fixed(num(m, "tokens_per_gpu"), 0) +
             " tokens/GPU, busiest GPU " + format_fixed(num(m, "busiest_gpu_expert_tokens"), 0) +
             " token-expert pairs (mean " + format_fixed(num(m, "mean_gpu_expert_tokens"), 0) + "), kernel costs " +
             m["kernel_costs"].get<std::string>() + "\n";
    }
    for (const auto& n : p["notes"])
      out += "  note: " + n.get<std::string>() + "\n";
  }
  return out;
}

} // namespace moescope
