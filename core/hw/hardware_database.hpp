#pragma once
// All of hwdb/: accelerators, interconnects and systems, cross-checked (every name a system uses exists).
#include <map>
#include <string>
#include <vector>

#include "hw/accelerator.hpp"
#include "hw/interconnect.hpp"
#include "hw/system.hpp"

namespace moescope {

class HardwareDatabase {
public:
  // Loads every *.json below `dir` (accelerators/, interconnects/, systems/). Problems are added to
  // `diagnostics`; items with problems are still loaded as far as possible so that all problems are reported.
  static HardwareDatabase load(const std::string& dir, Diagnostics& diagnostics);
  // Loads and throws InputError listing every problem.
  static HardwareDatabase load_or_throw(const std::string& dir);

  const std::map<std::string, Accelerator>& accelerators() const { return accelerators_; }
  const std::map<std::string, Interconnect>& interconnects() const { return interconnects_; }
  const std::map<std::string, SystemSpec>& systems() const { return systems_; }

  // Lookups throw InputError naming the known names when `name` is unknown; `file`/`pointer` say where the
  // name was read from, for the message.
  const Accelerator& accelerator(const std::string& name, const std::string& file = "",
                                 const std::string& pointer = "") const;
  const Interconnect& interconnect(const std::string& name, const std::string& file = "",
                                   const std::string& pointer = "") const;
  const SystemSpec& system(const std::string& name, const std::string& file = "",
                           const std::string& pointer = "") const;

  void add(Accelerator a) { accelerators_[a.name] = std::move(a); }
  void add(Interconnect i) { interconnects_[i.name] = std::move(i); }
  void add(SystemSpec s) { systems_[s.name] = std::move(s); }
  // Cross-references and name checks; appends to `diagnostics`.
  void validate(Diagnostics& diagnostics) const;

private:
  std::map<std::string, Accelerator> accelerators_;
  std::map<std::string, Interconnect> interconnects_;
  std::map<std::string, SystemSpec> systems_;
};

// "unknown accelerator \"h1000\"; known: a100-sxm-80gb, ..." (shared by every name lookup).
std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known);

} // namespace moescope
