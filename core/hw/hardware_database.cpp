#include "hw/hardware_database.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

namespace moescope {

namespace fs = std::filesystem;

std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known) {
  std::string out = "unknown " + what + " \"" + name + "\"; expected one of: ";
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (i) out += ", ";
    out += known[i];
  }
  return out;
}

namespace {

template <class Map> std::vector<std::string> keys(const Map& m) {
  std::vector<std::string> k;
  for (const auto& [name, v] : m)
    k.push_back(name);
  return k;
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void check_name(const std::string& name, const fs::path& file, Diagnostics& diagnostics) {
  static const std::regex pattern("[a-z0-9][a-z0-9.-]*");
  if (name.empty()) return; // already reported as missing
  if (!std::regex_match(name, pattern))
    diagnostics.add(file.string(), "/name", "expected a lower-case name of [a-z0-9.-], got \"" + name + "\"");
  if (file.stem().string() != name)
    diagnostics.add(file.string(), "/name",
                    "expected the name to match the file name \"" + file.stem().string() + "\", got \"" + name + "\"");
}

template <class Item, class Reader, class Map>
void load_kind(const fs::path& dir, Reader read, Map& into, Diagnostics& diagnostics) {
  for (const auto& file : json_files(dir)) {
    auto json = read_json_file(file.string(), diagnostics);
    if (!json) continue;
    Item item = read(*json, file.string(), diagnostics);
    check_name(item.name, file, diagnostics);
    if (item.name.empty()) continue;
    if (into.count(item.name)) {
      diagnostics.add(file.string(), "/name",
                      "duplicate name \"" + item.name + "\" (also in " + into[item.name].file + ")");
      continue;
    }
    into[item.name] = std::move(item);
  }
}

} // namespace

HardwareDatabase HardwareDatabase::load(const std::string& dir, Diagnostics& diagnostics) {
  HardwareDatabase db;
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    diagnostics.add(dir, "", "hardware database directory not found (set MOESCOPE_DATA_DIR to the moescope tree)");
    return db;
  }
  load_kind<Accelerator>(root / "accelerators", read_accelerator, db.accelerators_, diagnostics);
  load_kind<Interconnect>(root / "interconnects", read_interconnect, db.interconnects_, diagnostics);
  load_kind<SystemSpec>(root / "systems", read_system, db.systems_, diagnostics);
  db.validate(diagnostics);
  return db;
}

HardwareDatabase HardwareDatabase::load_or_throw(const std::string& dir) {
  Diagnostics diagnostics;
  HardwareDatabase db = load(dir, diagnostics);
  diagnostics.throw_if_any();
  return db;
}

void HardwareDatabase::validate(Diagnostics& diagnostics) const {
  if (accelerators_.empty()) diagnostics.add("hwdb/accelerators", "", "expected at least one accelerator file");
  for (const auto& entry : systems_) {
    const SystemSpec& s = entry.second; // not a structured binding: clang 14 cannot capture one in a lambda
    if (!s.accelerator.empty() && !accelerators_.count(s.accelerator))
      diagnostics.add(s.file, "/node/accelerator",
                      unknown_name_message("accelerator", s.accelerator, keys(accelerators_)));
    auto check_ic = [&](const std::string& ic, const char* pointer) {
      if (!ic.empty() && !interconnects_.count(ic))
        diagnostics.add(s.file, pointer, unknown_name_message("interconnect", ic, keys(interconnects_)));
    };
    check_ic(s.scale_up_interconnect, "/node/scale_up/interconnect");
    if (s.scale_out_interconnect) check_ic(*s.scale_out_interconnect, "/node/scale_out/interconnect");
    if (s.pcie_interconnect) check_ic(*s.pcie_interconnect, "/node/pcie/interconnect");
    if (s.scale_up_domain_size && s.accelerators_per_node &&
        s.scale_up_domain_size.value < s.accelerators_per_node.value)
      diagnostics.add(s.file, "/node/scale_up/domain_size",
                      "expected a scale-up domain at least as large as accelerators_per_node");
  }
}

const Accelerator& HardwareDatabase::accelerator(const std::string& name, const std::string& file,
                                                 const std::string& pointer) const {
  auto it = accelerators_.find(name);
  if (it == accelerators_.end())
    throw InputError(file, pointer, unknown_name_message("accelerator", name, keys(accelerators_)));
  return it->second;
}

const Interconnect& HardwareDatabase::interconnect(const std::string& name, const std::string& file,
                                                   const std::string& pointer) const {
  auto it = interconnects_.find(name);
  if (it == interconnects_.end())
    throw InputError(file, pointer, unknown_name_message("interconnect", name, keys(interconnects_)));
  return it->second;
}

const SystemSpec& HardwareDatabase::system(const std::string& name, const std::string& file,
                                           const std::string& pointer) const {
  auto it = systems_.find(name);
  if (it == systems_.end()) throw InputError(file, pointer, unknown_name_message("system", name, keys(systems_)));
  return it->second;
}

} // namespace moescope
