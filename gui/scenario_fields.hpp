#pragma once
// The scenario fields the editor's form shows, by JSON pointer into the scenario document. The form only edits
// the document; every value is checked by the strict reader (Session::read_scenario and resolve), never here.
#include <QStringList>
#include <string>
#include <vector>

namespace moescope {
class Session;
}

namespace moescope::gui {

struct ScenarioField {
  enum class Kind { text, value, choice }; // value: a number, true/false or "auto", typed as text
  std::string pointer;
  QString section, label;
  Kind kind = Kind::value;
  QStringList choices; // choice: "" (the key left out: the default) first
};

// `session`: the model, system and accelerator names offered in the choices.
std::vector<ScenarioField> scenario_fields(Session& session);

} // namespace moescope::gui
