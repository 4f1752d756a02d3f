// `moescope model list|show NAME|import CONFIG.json`.
#include "cli_context.hpp"
#include "study/models.hpp"
#include "util/atomic_file.hpp"
#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

std::string billions(double v) {
  return format_fixed(v / 1e9, v >= 100e9 ? 0 : 1) + "B";
}

Json parameters_json(const ModelArchitecture& m) {
  const ParameterCount p = count_parameters(m);
  Json j = {{"total", p.total},
            {"active_per_token", p.active_per_token},
            {"active_without_input_embedding", p.active_without_input_embedding()},
            {"active_without_embeddings", p.active_without_embeddings()},
            {"embedding", p.embedding},
            {"lm_head", p.lm_head},
            {"attention", p.attention},
            {"dense_ffn", p.dense_ffn},
            {"routed_experts", p.routed_experts},
            {"shared_experts", p.shared_experts},
            {"router", p.router},
            {"norms", p.norms},
            {"mtp", p.mtp}};
  if (m.published) {
    auto convention = parse_active_convention(m.published->active_convention);
    double ours_active = convention ? p.active(*convention) : p.active_per_token;
    j["published"] = {{"total", m.published->total_parameters},
                      {"active", m.published->active_parameters},
                      {"active_convention", m.published->active_convention},
                      {"source", m.published->source},
                      {"total_error", p.total / m.published->total_parameters - 1.0},
                      {"active_error", ours_active / m.published->active_parameters - 1.0}};
  }
  return j;
}

std::string attention_text(const ModelArchitecture& m) {
  const auto& a = m.attention;
  std::string out = to_string(a.kind) + ", " + std::to_string(a.num_heads) + " heads";
  if (a.kind == AttentionKind::mla)
    out += ", kv_lora_rank " + std::to_string(a.mla.kv_lora_rank) + ", q_lora_rank " +
           std::to_string(a.mla.q_lora_rank) + ", qk " + std::to_string(a.mla.qk_nope_head_dim) + "+" +
           std::to_string(a.mla.qk_rope_head_dim) + ", v " + std::to_string(a.mla.v_head_dim);
  else
    out += ", " + std::to_string(a.num_kv_heads) + " KV heads of " + std::to_string(a.head_dim);
  if (a.sliding_window_tokens > 0) out += ", sliding window " + std::to_string(a.sliding_window_tokens);
  return out;
}

std::string moe_text(const ModelArchitecture& m) {
  if (!m.is_moe()) return "dense";
  const auto& e = m.moe;
  std::string out = std::to_string(e.num_routed_experts) + " routed experts (top-" + std::to_string(e.top_k) + ")";
  if (e.num_shared_experts) out += " + " + std::to_string(e.num_shared_experts) + " shared";
  out += ", expert FFN " + std::to_string(e.expert_intermediate_size);
  if (e.num_groups > 1)
    out += ", " + std::to_string(e.num_groups) + " groups (" + std::to_string(e.groups_per_token) + " per token)";
  out += ", " + std::to_string(m.num_moe_layers()) + " of " + std::to_string(m.num_layers) + " layers MoE";
  return out;
}

} // namespace

void register_model_commands(CLI::App& app, CliContext& ctx) {
  auto* model = app.add_subcommand("model", "Model catalog: list, show, import Hugging Face configs");
  model->require_subcommand(1);

  auto* list = model->add_subcommand("list", "List the models in models/catalog/");
  list->callback([&ctx] {
    auto catalog = *ctx.session().catalog();
    Json j = {{"models", Json::array()}};
    TextTable t({"model", "layers", "hidden", "attention", "experts", "total", "active"});
    for (const auto& [name, m] : catalog.all()) {
      const ParameterCount p = count_parameters(m);
      j["models"].push_back({{"name", name},
                             {"display_name", m.display_name},
                             {"total_parameters", p.total},
                             {"active_parameters_per_token", p.active_per_token}});
      t.add_row(
          {name, std::to_string(m.num_layers), std::to_string(m.hidden_size), to_string(m.attention.kind),
           m.is_moe() ? std::to_string(m.moe.num_routed_experts) + " top-" + std::to_string(m.moe.top_k) : "dense",
           billions(p.total), billions(p.active_per_token)});
    }
    ctx.emit(j, [&] { std::cout << t.render({1, 2, 5, 6}); });
  });

  auto* show = model->add_subcommand("show", "Show a model's architecture and parameter counts");
  auto name = std::make_shared<std::string>();
  show->add_option("name", *name, "Name from `moescope model list`")->required();
  show->callback([&ctx, name] {
    auto catalog = *ctx.session().catalog();
    const ModelArchitecture& m = catalog.get(*name);
    Json j = model_to_json(m);
    j["parameters"] = parameters_json(m);
    ctx.emit(j, [&] {
      const Json& p = j["parameters"];
      std::cout << m.display_name << " (" << m.name << ", " << m.hf_repo << ")\n"
                << "  layers " << m.num_layers << ", hidden " << m.hidden_size << ", vocabulary " << m.vocab_size
                << ", weights " << to_string(m.weight_dtype) << "\n"
                << "  attention: " << attention_text(m) << "\n"
                << "  MoE: " << moe_text(m) << "\n";
      if (m.mtp_layers) std::cout << "  multi-token prediction modules: " << m.mtp_layers << "\n";
      TextTable t({"parameters", "count"});
      for (const char* k : {"total", "active_per_token", "attention", "dense_ffn", "routed_experts", "shared_experts",
                            "router", "embedding", "lm_head", "norms", "mtp"})
        t.add_row({k, billions(p[k].get<double>())});
      std::cout << "\n" << t.render({1});
      if (p.contains("published")) {
        const Json& pub = p["published"];
        std::cout << "\npublished: " << billions(pub["total"].get<double>()) << " total ("
                  << format_fixed(100 * pub["total_error"].get<double>(), 2) << "% off), "
                  << billions(pub["active"].get<double>()) << " active ("
                  << format_fixed(100 * pub["active_error"].get<double>(), 2) << "% off, counted "
                  << pub["active_convention"].get<std::string>() << "); " << pub["source"].get<std::string>() << "\n";
      }
    });
  });

  auto* import = model->add_subcommand("import", "Import a Hugging Face config.json into moescope's model format");
  auto config = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto name_override = std::make_shared<std::string>();
  import->add_option("config", *config, "Hugging Face config.json")->required();
  import->add_option("-o,--output", *output, "Write the model JSON here (default: print it)");
  import->add_option("--name", *name_override, "Catalog name (default: derived from the architecture or file name)");
  import->callback([&ctx, config, output, name_override] {
    Diagnostics diagnostics;
  ModelArchitecture m = import_hf_config_file(*config, diagnostics, *name_override);
  diagnostics.throw_if_any();
  std::string text = model_to_json_text(m);
  if (!output->empty()) {
    write_file_atomically(*output, text);
    if (!ctx.json) std::cout << "wrote " << *output << " (" << m.name << ")\n";
  } else {
    std::cout << text;
  }
});
} // namespace moescope::cli

} // namespace moescope::cli
