#pragma once
// Self-registering lists of strategies (placement strategies, trace importers, dispatch kernels, collective
// algorithms). Each entry registers itself from its own source file with a namespace-scope Registrar, e.g.
//   const Registrar<PlacementStrategy> registered{10, [] { return std::make_unique<LinearStrategy>(); }};
// and no other file names it. The list is built on first use in ascending `order` (then by name), so it does not
// depend on the link order: `order` sets where an entry is listed and which one wins a tie (importer detection,
// the fastest collective). A duplicate name is a programming error (std::logic_error on first use).
// The modules that hold registered entries are linked whole-archive (core/CMakeLists.txt, REGISTRY), so the
// linker keeps every registrar even though nothing references its object file.
#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/name_style.hpp"

namespace moescope {

template <class Interface> class Registry {
public:
  using Factory = std::function<std::unique_ptr<Interface>()>;

  // Every registered entry, in ascending order (then name).
  static const std::vector<std::unique_ptr<Interface>>& entries() {
    static const std::vector<std::unique_ptr<Interface>> list = build();
    return list;
  }
  // The entry called `name` (in either spelling, util/name_style.hpp), or nullptr.
  static const Interface* find(std::string_view name) {
    for (const auto& e : entries())
      if (same_name(e->name(), name)) return e.get();
    return nullptr;
  }
  static std::vector<std::string> names() {
    std::vector<std::string> v;
    for (const auto& e : entries())
      v.push_back(e->name());
    return v;
  }
  // Called by Registrar during static initialisation (before the first entries() call).
  static void add(int order, Factory make) {
    if (state().built) throw std::logic_error("registry: an entry registered after the list was built");
    state().pending.push_back({order, std::move(make)});
  }

private:
  struct Pending {
    int order;
    Factory make;
  };
  struct State {
    std::vector<Pending> pending;
    bool built = false;
  };
  static State& state() {
    static State s;
    return s;
  }
  static std::vector<std::unique_ptr<Interface>> build() {
    struct Made {
      int order;
      std::string name;
      std::unique_ptr<Interface> entry;
    };
    std::vector<Made> made;
    for (const auto& p : state().pending) {
      auto e = p.make();
      made.push_back({p.order, e->name(), std::move(e)});
    }
    state().built = true;
    std::sort(made.begin(), made.end(),
              [](const Made& a, const Made& b) { return a.order != b.order ? a.order < b.order : a.name < b.name; });
    std::vector<std::unique_ptr<Interface>> out;
    for (auto& m : made) {
      for (const auto& e : out)
        if (same_name(e->name(), m.name)) throw std::logic_error("registry: two entries named \"" + m.name + "\"");
      out.push_back(std::move(m.entry));
    }
    return out;
  }
};

// Registers one entry: `order` places it in the list, `make` builds it (once, on first use of the list).
template <class Interface> struct Registrar {
  Registrar(int order, typename Registry<Interface>::Factory make) { Registry<Interface>::add(order, std::move(make)); }
};

} // namespace moescope
