#pragma once
// The GUI's state: one scenario JSON document, exactly what `moescope eval` reads (Save writes it verbatim, so keys
// the form does not show survive). Every edit is undoable; consecutive edits of one field (a slider drag, typing)
// merge into one undo step. Opening a file is an undoable edit too, and an open that fails changes nothing, so the
// user's edits are never lost.
#include <QObject>
#include <QString>
#include <string>
#include <vector>

#include "util/json_reader.hpp"

namespace moescope::gui {

class ScenarioDocument : public QObject {
  Q_OBJECT
public:
  explicit ScenarioDocument(QObject* parent = nullptr);

  const Json& json() const { return json_; }
  const QString& path() const { return path_; } // "" until opened or saved
  bool modified() const { return modified_; }
  // The value at `pointer` ("/deployment/nodes"), or null when absent.
  Json value(const std::string& pointer) const;

  // Sets the value at `pointer` (creating parent objects); a null `value` removes the key. `merge`: fold into the
  // previous undo step when it edited the same pointer.
  void set(const std::string& pointer, const Json& value, bool merge = false);
  void replace(const Json& whole); // the raw-JSON tab, a sweep point, a template
  void reset(const Json& whole);   // a new untitled document (a template): not undoable, not modified

  // Reads `path`; on failure returns false with the message the CLI prints and leaves the document unchanged.
  bool open(const QString& path, QString& error);
  bool save_as(const QString& path, QString& error);

  bool can_undo() const { return !undo_.empty(); }
  bool can_redo() const { return !redo_.empty(); }
  void undo();
  void redo();

Q_SIGNALS:
  void changed();
  void path_changed(const QString& path);

private:
  struct Step {
    Json json;
    std::string pointer; // the field edited after this state ("" = not mergeable)
  };
  void push(const std::string& pointer, bool merge);

  Json json_ = Json::object();
  QString path_;
  bool modified_ = false;
  std::vector<Step> undo_, redo_;
};

// The message `moescope` prints for these problems ("moescope: error: N problem(s):" and one line each).
QString cli_error_message(const Diagnostics& problems);

} // namespace moescope::gui
