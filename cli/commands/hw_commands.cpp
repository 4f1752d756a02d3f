// `moescope hw list` and `moescope hw show NAME`.
#include "cli_context.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

std::string flagged(const Quantity& q, const std::string& text) {
  return q.unverified ? text + " (unverified)" : text;
}

void print_quantity_table(const std::vector<std::pair<std::string, const Quantity*>>& rows,
                          const std::function<std::string(const std::string&, const Quantity&)>& format) {
  TextTable t({"field", "value", "source"});
  for (const auto& [name, q] : rows)
    if (q && *q) t.add_row({name, flagged(*q, format(name, *q)), q->source});
  std::cout << t.render();
}

std::string format_field(const std::string& name, const Quantity& q) {
  auto ends = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.rfind("peak", 0) == 0) return format_si(q.value, "FLOP/s");
  if (ends("_bytes_per_s")) return format_si(q.value, "B/s");
  if (ends("_bytes")) return format_bytes(q.value);
  if (ends("_seconds")) return format_seconds(q.value);
  if (ends("_hz")) return format_si(q.value, "Hz");
  if (ends("_watts")) return format_si(q.value, "W");
  return format_fixed(q.value, q.value == static_cast<long long>(q.value) ? 0 : 3);
}

void show_accelerator(const Accelerator& a) {
  std::cout << a.display_name << " (" << a.name << ", " << a.vendor << ")\n\n";
  std::vector<std::pair<std::string, const Quantity*>> rows;
  std::vector<std::string> names;
  for (const auto& [t, q] : a.peak_dense_flop_per_s)
    names.push_back("peak_dense_flop_per_s/" + to_string(t));
  std::size_t i = 0;
  for (const auto& [t, q] : a.peak_dense_flop_per_s)
    rows.emplace_back(names[i++], &q);
  rows.emplace_back("hbm_capacity_bytes", &a.hbm_capacity_bytes);
  rows.emplace_back("hbm_bandwidth_bytes_per_s", &a.hbm_bandwidth_bytes_per_s);
  rows.emplace_back("l2_cache_bytes", &a.l2_cache_bytes);
  rows.emplace_back("shared_memory_per_unit_bytes", &a.shared_memory_per_unit_bytes);
  rows.emplace_back("on_chip_sram_bytes", &a.on_chip_sram_bytes);
  rows.emplace_back("compute_units", &a.compute_units);
  rows.emplace_back("clock_hz", &a.clock_hz);
  rows.emplace_back("tdp_watts", &a.tdp_watts);
  print_quantity_table(rows, format_field);
}

void show_interconnect(const Interconnect& i) {
  std::cout << i.display_name << " (" << i.name << ", " << to_string(i.family) << ")\n";
  std::cout << "per device, one direction: " << format_si(i.device_bandwidth_per_direction_bytes_per_s(), "B/s")
            << "\n\n";
  print_quantity_table({{"link_bandwidth_per_direction_bytes_per_s", &i.link_bandwidth_per_direction_bytes_per_s},
                        {"links_per_device", &i.links_per_device},
                        {"latency_seconds", &i.latency_seconds},
                        {"achievable_bandwidth_fraction", &i.achievable_bandwidth_fraction}},
                       format_field);
}

void show_system(const SystemSpec& s) {
  std::cout << s.display_name << " (" << s.name << ")\n";
  std::cout << "accelerator: " << s.accelerator << "; scale-up: " << s.scale_up_interconnect << " ("
            << to_string(s.scale_up_topology) << "); scale-out: " << s.scale_out_interconnect.value_or("none")
            << "; topology " << to_string(s.scale_out_topology) << (s.rail_optimized ? ", rail-optimized" : "")
            << "\n\n";
  print_quantity_table({{"accelerators_per_node", &s.accelerators_per_node},
                        {"scale_up_domain_size", &s.scale_up_domain_size},
                        {"nics_per_accelerator", &s.nics_per_accelerator},
                        {"max_nodes", &s.max_nodes},
                        {"oversubscription", &s.oversubscription},
                        {"price_per_gpu_hour_usd", &s.price_per_gpu_hour_usd}},
                       format_field);
}

bool any_unverified(const Accelerator& a) {
  for (const auto& [t, q] : a.peak_dense_flop_per_s)
    if (q.unverified) return true;
  return a.hbm_capacity_bytes.unverified || a.hbm_bandwidth_bytes_per_s.unverified;
}

} // namespace

void register_hw_commands(CLI::App& app, CliContext& ctx) {
  auto* hw = app.add_subcommand("hw", "Hardware database: accelerators, interconnects, systems");
  hw->require_subcommand(1);

  auto* list = hw->add_subcommand("list", "List accelerators, interconnects and systems with their key figures");
  list->callback([&ctx] {
    auto db = *ctx.session().hwdb();
    Json j = {{"accelerators", Json::array()}, {"interconnects", Json::array()}, {"systems", Json::array()}};
    for (const auto& [name, a] : db.accelerators())
      j["accelerators"].push_back(accelerator_to_json(a));
    for (const auto& [name, i] : db.interconnects())
      j["interconnects"].push_back(interconnect_to_json(i));
    for (const auto& [name, s] : db.systems())
      j["systems"].push_back(system_to_json(s));
    ctx.emit(j, [&] {
      TextTable acc(
          {"accelerator", "vendor", "bf16 dense", "fp8 dense", "HBM", "HBM bandwidth", "source of bf16 peak"});
      for (const auto& [name, a] : db.accelerators()) {
        // An init-capture: clang 14 cannot capture a structured binding (allowed from clang 16).
        auto peak = [&peaks = a.peak_dense_flop_per_s](DataType t) {
          auto it = peaks.find(t);
          return it == peaks.end() ? std::string("-") : flagged(it->second, format_si(it->second.value, "FLOP/s"));
        };
        const auto& bf16 =
            a.peak_dense_flop_per_s.count(DataType::bf16) ? a.peak_dense_flop_per_s.at(DataType::bf16) : Quantity{};
        acc.add_row({name + (any_unverified(a) ? " *" : ""), a.vendor, peak(DataType::bf16), peak(DataType::fp8),
                     format_bytes(a.hbm_capacity_bytes.value), format_si(a.hbm_bandwidth_bytes_per_s.value, "B/s"),
                     bf16.source});
      }
      std::cout << "Accelerators (" << db.accelerators().size() << "; * = some figure unverified)\n"
                << acc.render({2, 3, 4, 5}) << "\n";
      TextTable ic({"interconnect", "family", "per link", "links", "per device", "latency"});
      for (const auto& [name, i] : db.interconnects())
        ic.add_row({name, to_string(i.family), format_si(i.link_bandwidth_per_direction_bytes_per_s.value, "B/s"),
                    format_fixed(i.links_per_device.value, 0),
                    format_si(i.device_bandwidth_per_direction_bytes_per_s(), "B/s"),
                    format_seconds(i.latency_seconds.value)});
      std::cout << "Interconnects (" << db.interconnects().size() << "; bandwidth per direction)\n"
                << ic.render({2, 3, 4, 5}) << "\n";
      TextTable sys({"system", "accelerator", "scale-up", "domain", "scale-out", "NICs/GPU"});
      for (const auto& [name, s] : db.systems())
        sys.add_row({name, s.accelerator, s.scale_up_interconnect, format_fixed(s.scale_up_domain_size.value, 0),
                     s.scale_out_interconnect.value_or("-"),
                     s.scale_out_interconnect ? format_fixed(s.nics_per_accelerator.value, 0) : "-"});
      std::cout << "Systems (" << db.systems().size() << ")\n" << sys.render({3, 5});
    });
  });

  auto* show = hw->add_subcommand("show", "Show every figure of one accelerator, interconnect or system, with sources");
  auto name = std::make_shared<std::string>();
  show->add_option("name", *name, "Name from `moescope hw list`")->required();
  show->callback([&ctx, name] {
    auto db = *ctx.session().hwdb();
    if (auto it = db.accelerators().find(*name); it != db.accelerators().end())
      return ctx.emit(accelerator_to_json(it->second), [&] { show_accelerator(it->second); });
    if (auto it = db.interconnects().find(*name); it != db.interconnects().end())
      return ctx.emit(interconnect_to_json(it->second), [&] { show_interconnect(it->second); });
    if (auto it = db.systems().find(*name); it != db.systems().end())
      return ctx.emit(system_to_json(it->second), [&] { show_system(it->second); });
    std::vector<std::string> known;
    for (const auto& [n, a] : db.accelerators())
      known.push_back(n);
    for (const auto& [n, i] : db.interconnects())
      known.push_back(n);
    for (const auto& [n, s] : db.systems())
      known.push_back(n);
    throw InputError("", "", unknown_name_message("hardware item", *name, known));
  });
}

} // namespace moescope::cli
