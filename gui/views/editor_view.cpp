#include "views/editor_view.hpp"

#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

namespace moescope::gui {

Json field_value(const ScenarioField& field, const QString& text) {
  const std::string t = text.trimmed().toStdString();
  if (t.empty()) return Json();
  if (field.kind == ScenarioField::Kind::value) {
    const Json parsed = Json::parse(t, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_number() || parsed.is_boolean()) return parsed;
  }
  return Json(t);
}

namespace {

QString field_display(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  return QString::fromStdString(v.dump());
}

// A diagnostic belongs to the field whose pointer it names, or to a field below it.
bool names_field(const std::string& location, const std::string& pointer) {
  return location == pointer || location.rfind(pointer + "/", 0) == 0;
}

} // namespace

EditorView::EditorView(ScenarioDocument& document, std::vector<ScenarioField> fields, QWidget* parent)
    : QWidget(parent), document_(document) {
  for (auto& f : fields)
    rows_.push_back(Row{std::move(f)});
  auto* layout = new QVBoxLayout(this);
  general_ = new QLabel(this);
  general_->setStyleSheet("color: #b00020");
  general_->setWordWrap(true);
  general_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(general_);
  auto* tabs = new QTabWidget(this);
  tabs->addTab(build_form(), "Form");
  auto* raw = new QWidget(this);
  auto* raw_layout = new QVBoxLayout(raw);
  json_ = new QPlainTextEdit(raw);
  json_->setFont(QFont("DejaVu Sans Mono"));
  json_error_ = new QLabel(raw);
  json_error_->setStyleSheet("color: #b00020");
  auto* apply = new QPushButton("Apply JSON", raw);
  connect(apply, &QPushButton::clicked, this, &EditorView::apply_json);
  raw_layout->addWidget(json_);
  raw_layout->addWidget(json_error_);
  raw_layout->addWidget(apply);
  tabs->addTab(raw, "JSON");
  layout->addWidget(tabs);
  connect(&document_, &ScenarioDocument::changed, this, &EditorView::refresh);
  refresh();
}

QWidget* EditorView::build_form() {
  auto* scroll = new QScrollArea(this);
  auto* inner = new QWidget(scroll);
  auto* columns = new QGridLayout(inner); // sections three to a row, so the form fits beside the headline panel
  std::map<QString, QFormLayout*> sections;
  for (auto& row : rows_) {
    QFormLayout*& form = sections[row.field.section];
    if (!form) {
      auto* box = new QGroupBox(row.field.section, inner);
      form = new QFormLayout(box);
      const int at = static_cast<int>(sections.size()) - 1;
      columns->addWidget(box, at / 3, at % 3, Qt::AlignTop);
    }
    auto* cell = new QWidget(inner);
    auto* cell_layout = new QVBoxLayout(cell);
    cell_layout->setContentsMargins(0, 0, 0, 0);
    cell_layout->setSpacing(1);
    if (row.field.kind == ScenarioField::Kind::choice) {
      auto* combo = new QComboBox(cell);
      combo->addItems(row.field.choices);
      combo->setEditable(true); // a name the list lacks still reaches the strict reader, which says what is known
      connect(combo, &QComboBox::currentTextChanged, this, [this, &row](const QString& t) { commit(row, t); });
      row.editor = combo;
    } else {
      auto* edit = new QLineEdit(cell);
      edit->setPlaceholderText("default");
      connect(edit, &QLineEdit::editingFinished, this, [this, &row, edit] { commit(row, edit->text()); });
      row.editor = edit;
    }
    row.error = new QLabel(cell);
    row.error->setStyleSheet("color: #b00020; font-size: 9pt");
    row.error->setWordWrap(true);
    row.error->setMaximumWidth(320);
    row.error->hide();
    cell_layout->addWidget(row.editor);
    cell_layout->addWidget(row.error);
    form->addRow(row.field.label, cell);
  }
  scroll->setWidget(inner);
  scroll->setWidgetResizable(true);
  return scroll;
}

void EditorView::commit(const Row& row, const QString& text) {
  if (refreshing_) return;
  document_.set(row.field.pointer, field_value(row.field, text), /*merge=*/true);
}

void EditorView::refresh() {
  refreshing_ = true;
  for (auto& row : rows_) {
    const QString text = field_display(document_.value(row.field.pointer));
    if (auto* combo = qobject_cast<QComboBox*>(row.editor))
      combo->setCurrentText(text);
    else if (auto* edit = qobject_cast<QLineEdit*>(row.editor); edit->text() != text)
      edit->setText(text);
  }
  json_->setPlainText(QString::fromStdString(document_.json().dump(2)));
  json_error_->clear();
  refreshing_ = false;
}

void EditorView::apply_json() {
  Diagnostics problems;
  const auto parsed = parse_json_text(json_->toPlainText().toStdString(), "<JSON tab>", problems);
  if (parsed && !parsed->is_object()) problems.add("<JSON tab>", "", "expected an object");
  if (!problems.empty()) {
    json_error_->setText(cli_error_message(problems)); // the text stays as typed
    return;
  }
  document_.replace(*parsed);
}

void EditorView::show_problems(const Diagnostics& problems, const std::string& internal_error) {
  std::map<const Row*, QStringList> at;
  QStringList general;
  for (const auto& d : problems.items()) {
    const Row* owner = nullptr;
    for (const auto& row : rows_)
      if (names_field(d.location, row.field.pointer) &&
          (!owner || row.field.pointer.size() > owner->field.pointer.size()))
        owner = &row;
    (owner ? at[owner] : general) << QString::fromStdString(d.to_string());
  }
  for (const auto& row : rows_) {
    const auto it = at.find(&row);
    row.error->setText(it == at.end() ? "" : it->second.join("\n"));
    row.error->setVisible(it != at.end());
  }
  if (!internal_error.empty()) general << "moescope: internal error: " + QString::fromStdString(internal_error);
  general_->setText(general.join("\n"));
  general_->setVisible(!general.isEmpty());
}

QWidget* EditorView::field_widget(const std::string& pointer) const {
  for (const auto& row : rows_)
    if (row.field.pointer == pointer) return row.editor;
  return nullptr;
}

QString EditorView::field_text(const std::string& pointer) const {
  QWidget* w = field_widget(pointer);
  if (auto* combo = qobject_cast<QComboBox*>(w)) return combo->currentText();
  if (auto* edit = qobject_cast<QLineEdit*>(w)) return edit->text();
  return {};
}

QString EditorView::field_error(const std::string& pointer) const {
  for (const auto& row : rows_)
    if (row.field.pointer == pointer) return row.error->text();
  return {};
}

QString EditorView::general_errors() const {
  return general_->text();
}

void EditorView::enter(const std::string& pointer, const QString& text) {
  for (const auto& row : rows_)
    if (row.field.pointer == pointer) {
      if (auto* combo = qobject_cast<QComboBox*>(row.editor))
        combo->setCurrentText(text); // commits through currentTextChanged
      else {
        static_cast<QLineEdit*>(row.editor)->setText(text);
        commit(row, text);
      }
    }
}

} // namespace moescope::gui
