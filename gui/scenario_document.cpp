#include "scenario_document.hpp"

#include "util/atomic_file.hpp"

namespace moescope::gui {

ScenarioDocument::ScenarioDocument(QObject* parent) : QObject(parent) {}

Json ScenarioDocument::value(const std::string& pointer) const {
  const Json::json_pointer p(pointer);
  return json_.contains(p) ? json_.at(p) : Json();
}

void ScenarioDocument::push(const std::string& pointer, bool merge) {
  const bool merges = merge && !undo_.empty() && !pointer.empty() && undo_.back().pointer == pointer;
  if (!merges) undo_.push_back(Step{json_, pointer});
  redo_.clear();
  modified_ = true;
}

void ScenarioDocument::set(const std::string& pointer, const Json& value, bool merge) {
  const Json::json_pointer p(pointer);
  if (value.is_null() ? !json_.contains(p) : json_.contains(p) && json_.at(p) == value) return;
  Json next = json_;
  try {
    if (value.is_null())
      next.at(p.parent_pointer()).erase(p.back());
    else
      next[p] = value;
  } catch (const Json::exception&) {
    return; // a parent is not an object (the raw JSON says otherwise): the strict reader already reports it
  }
  push(pointer, merge);
  json_ = std::move(next);
  Q_EMIT changed();
}

void ScenarioDocument::replace(const Json& whole) {
  if (whole == json_) return;
  push("", false);
  json_ = whole;
  Q_EMIT changed();
}

void ScenarioDocument::reset(const Json& whole) {
  json_ = whole;
  path_.clear(); // a template is saved under a new name, never over itself
  Q_EMIT path_changed(path_);
  undo_.clear();
  redo_.clear();
  modified_ = false;
  Q_EMIT changed();
}

bool ScenarioDocument::open(const QString& path, QString& error) {
  Diagnostics problems;
  const std::optional<Json> read = read_json_file(path.toStdString(), problems);
  if (read && !read->is_object())
    problems.add(path.toStdString(), "", "expected an object, found " + describe_json(*read));
  if (!problems.empty()) {
    error = cli_error_message(problems);
    return false;
  }
  replace(*read); // undoable: the edits before the open come back with Undo
  modified_ = false;
  path_ = path;
  Q_EMIT path_changed(path_);
  return true;
}

bool ScenarioDocument::save_as(const QString& path, QString& error) {
  try {
    write_file_atomically(path.toStdString(), json_.dump(2) + "\n");
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
    return false;
  }
  modified_ = false;
  if (path != path_) {
    path_ = path;
    Q_EMIT path_changed(path_);
  }
  return true;
}

void ScenarioDocument::undo() {
  if (undo_.empty()) return;
  redo_.push_back(Step{json_, undo_.back().pointer});
  json_ = std::move(undo_.back().json);
  undo_.pop_back();
  modified_ = true;
  Q_EMIT changed();
}

void ScenarioDocument::redo() {
  if (redo_.empty()) return;
  undo_.push_back(Step{json_, ""});
  json_ = std::move(redo_.back().json);
  redo_.pop_back();
  modified_ = true;
  Q_EMIT changed();
}

QString cli_error_message(const Diagnostics& problems) {
  return QString::fromStdString("moescope: error: " + std::to_string(problems.size()) + " problem(s):\n" +
                                problems.to_string());
}

} // namespace moescope::gui
