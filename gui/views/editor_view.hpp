#pragma once
// View 1, the scenario editor: a form over the main fields and the whole document as JSON. Edits go to the
// ScenarioDocument; the strict reader's problems (the CLI's messages) are shown inline at the field their JSON
// pointer names, the rest above the form.
#include <QWidget>
#include <map>
#include <vector>

#include "scenario_document.hpp"
#include "scenario_fields.hpp"

class QLabel;
class QPlainTextEdit;

namespace moescope::gui {

class EditorView : public QWidget {
  Q_OBJECT
public:
  EditorView(ScenarioDocument& document, std::vector<ScenarioField> fields, QWidget* parent = nullptr);

  void show_problems(const Diagnostics& problems, const std::string& internal_error = "");

  // What the user sees at a field: its text and its inline error ("" when none).
  QString field_text(const std::string& pointer) const;
  QString field_error(const std::string& pointer) const;
  QString general_errors() const;
  // Types `text` into the field and commits it, as the user would.
  void enter(const std::string& pointer, const QString& text);
  QWidget* field_widget(const std::string& pointer) const;

private:
  struct Row {
    ScenarioField field;
    QWidget* editor = nullptr;
    QLabel* error = nullptr;
  };
  void commit(const Row& row, const QString& text);
  void refresh(); // document -> widgets
  void apply_json();
  QWidget* build_form();

  ScenarioDocument& document_;
  std::vector<Row> rows_;
  QLabel* general_ = nullptr;
  QPlainTextEdit* json_ = nullptr;
  QLabel* json_error_ = nullptr;
  bool refreshing_ = false;
};

// The JSON a field's text stands for: "" = absent (null), a number or true/false as such, anything else a string.
Json field_value(const ScenarioField& field, const QString& text);

} // namespace moescope::gui
