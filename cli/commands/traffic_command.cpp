// `moescope traffic SCENARIO [--phase decode|prefill] [-o TRAFFIC.json]`: node x node (and, in the JSON, GPU x GPU)
// bytes of one MoE layer's dispatch and combine, as the evaluation routes them.
#include "cli_context.hpp"
#include "study/traffic.hpp"
#include "util/atomic_file.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

void print_matrix(const std::string& title, const std::vector<double>& v, std::int32_t n) {
  std::vector<std::string> header = {title};
  for (std::int32_t b = 0; b < n; ++b)
    header.push_back("to node " + std::to_string(b));
  TextTable t(header);
  std::vector<std::size_t> right;
  for (std::int32_t b = 0; b < n; ++b) {
    right.push_back(static_cast<std::size_t>(b) + 1);
    std::vector<std::string> row = {"from node " + std::to_string(b)};
    for (std::int32_t c = 0; c < n; ++c)
      row.push_back(format_bytes(v[static_cast<std::size_t>(b) * static_cast<std::size_t>(n) + c]));
    t.add_row(row);
  }
  std::cout << t.render(right) << "\n";
}

} // namespace

void register_traffic_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("traffic", "All-to-all bytes of one MoE layer, node x node and GPU x GPU");
  auto scenario = std::make_shared<std::string>();
  auto phase = std::make_shared<std::string>("decode");
  auto output = std::make_shared<std::string>();
  cmd->add_option("scenario", *scenario, "Scenario JSON")->required();
  cmd->add_option("--phase", *phase, "decode or prefill")->check(CLI::IsMember({"decode", "prefill"}));
  cmd->add_option("-o,--output", *output, "Write the matrices as JSON here (atomically)");
  cmd->callback([&ctx, scenario, phase, output] {
    const Evaluation e = ctx.session().evaluate_file(*scenario);
    const TrafficMatrices m = traffic_matrices(e, *phase == "prefill" ? Phase::prefill : Phase::decode);
    const Json j = traffic_matrices_to_json(m);
    if (!output->empty()) write_file_atomically(*output, j.dump(2) + "\n");
    ctx.emit(j, [&] {
      std::cout << *phase << ": bytes of one MoE layer (" << m.gpus << " GPUs, " << m.nodes
                << " nodes); row = source\n";
      print_matrix("dispatch", m.dispatch_node_bytes, m.nodes);
      print_matrix("combine", m.combine_node_bytes, m.nodes);
    });
  });
}

} // namespace moescope::cli
