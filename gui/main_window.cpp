#include "main_window.hpp"

#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "util/atomic_file.hpp"
#include "views/breakdown_view.hpp"
#include "views/editor_view.hpp"
#include "views/headline_view.hpp"
#include "views/placement_view.hpp"
#include "views/roofline_view.hpp"
#include "views/sensitivity_view.hpp"
#include "views/solve_view.hpp"
#include "views/sweep_view.hpp"
#include "views/traffic_view.hpp"
#include "views/validation_view.hpp"
#include "views/whatif_view.hpp"

namespace moescope::gui {

MainWindow::MainWindow(const std::string& data_root, QWidget* parent)
    : QMainWindow(parent), session_(std::make_unique<Session>(data_root)),
      evaluator_(std::make_unique<Evaluator>(*session_)) {
  setWindowTitle("moescope");
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  banner_ = new QLabel(central);
  banner_->setStyleSheet("background: #fdecea; color: #b00020; padding: 4px");
  banner_->setWordWrap(true);
  banner_->hide();
  layout->addWidget(banner_);
  auto* split = new QSplitter(Qt::Horizontal, central);
  tabs_ = new QTabWidget(split);
  headline_ = new HeadlineView(split);
  split->addWidget(tabs_);
  split->addWidget(headline_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split);
  setCentralWidget(central);

  editor_ = new EditorView(document_, scenario_fields(*session_), tabs_);
  roofline_ = new RooflineView(tabs_);
  breakdown_ = new BreakdownView(tabs_);
  whatif_ = new WhatIfView(document_, tabs_);
  traffic_ = new TrafficView(document_, tabs_);
  sweep_ = new SweepView(document_, *session_, tabs_);
  sensitivity_ = new SensitivityView(document_, *session_, tabs_);
  validation_ = new ValidationView(*session_, tabs_);
  placement_ = new PlacementView(*session_, tabs_);
  solve_ = new SolveView(document_, *session_, tabs_);
  tabs_->addTab(editor_, "Scenario");
  tabs_->addTab(roofline_, "Roofline");
  tabs_->addTab(breakdown_, "Time breakdown");
  tabs_->addTab(whatif_, "What-if");
  tabs_->addTab(traffic_, "Traffic");
  tabs_->addTab(placement_, "Placement");
  tabs_->addTab(sweep_, "Sweep");
  tabs_->addTab(sensitivity_, "Sensitivity");
  tabs_->addTab(solve_, "Solve");
  tabs_->addTab(validation_, "Validation");

  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::refresh_current_tab);
  debounce_.setSingleShot(true);
  debounce_.setInterval(10);
  connect(&debounce_, &QTimer::timeout, this, [this] { evaluator_->request(document_.json(), label()); });
  connect(&document_, &ScenarioDocument::changed, this, &MainWindow::on_changed);
  connect(&document_, &ScenarioDocument::path_changed, this, [this](const QString& p) {
    setWindowTitle("moescope - " + (p.isEmpty() ? QString("untitled") : QFileInfo(p).fileName()));
  });
  connect(evaluator_.get(), &Evaluator::evaluated, this, &MainWindow::on_evaluated);
  build_menus();

  QString error;
  const QString start = QString::fromStdString(session_->data_root() + "/scenarios/default.json");
  if (document_.open(start, error)) {
    document_.reset(document_.json()); // a template: not undoable back to empty, saved under a new name
  } else {
    set_banner(error);
  }
  resize(1500, 860);
}

MainWindow::~MainWindow() = default;

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open...", QKeySequence::Open, this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, "Open scenario", {}, "Scenario (*.json)");
    if (!p.isEmpty()) open_file(p);
  });
  recent_menu_ = file->addMenu("Open &Recent");
  file->addAction("&Save", QKeySequence::Save, this, [this] {
    QString p = document_.path();
    if (p.isEmpty()) p = QFileDialog::getSaveFileName(this, "Save scenario", {}, "Scenario (*.json)");
    if (!p.isEmpty()) save_to(p);
  });
  file->addAction("Save &As...", QKeySequence::SaveAs, this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, "Save scenario", document_.path(), "Scenario (*.json)");
    if (!p.isEmpty()) save_to(p);
  });
  file->addAction("&Export Session...", this, [this] {
    const QString p =
        QFileDialog::getSaveFileName(this, "Export scenario and report", document_.path(), "Scenario (*.json)");
    if (!p.isEmpty()) export_session(p);
  });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);
  QMenu* edit = menuBar()->addMenu("&Edit");
  QAction* undo = edit->addAction("&Undo", QKeySequence::Undo, &document_, &ScenarioDocument::undo);
  QAction* redo = edit->addAction("&Redo", QKeySequence::Redo, &document_, &ScenarioDocument::redo);
  connect(&document_, &ScenarioDocument::changed, this, [this, undo, redo] {
    undo->setEnabled(document_.can_undo());
    redo->setEnabled(document_.can_redo());
  });
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  for (const QString& p : recent_.list())
    recent_menu_->addAction(p, this, [this, p] { open_file(p); });
  recent_menu_->setEnabled(!recent_menu_->isEmpty());
}

bool MainWindow::open_file(const QString& path) {
  QString error;
  if (!document_.open(path, error)) {
    set_banner("Could not open " + path + "; your edits are kept.\n" + error);
    return false;
  }
  remember(path);
  return true;
}

void MainWindow::remember(const QString& path) {
  set_banner("");
  recent_.add(path);
  rebuild_recent_menu();
}

bool MainWindow::save_to(const QString& path) {
  QString error;
  if (!document_.save_as(path, error)) {
    set_banner("Could not save " + path + ": " + error);
    return false;
  }
  remember(path);
  statusBar()->showMessage("Saved " + path, 4000);
  return true;
}

bool MainWindow::export_session(const QString& path) {
  const auto o = outcome_;
  if (!settled() || !o->evaluation) {
    set_banner("Not exported: " + QString(o && !o->evaluation ? "the scenario has problems (see the editor)"
                                                              : "the newest edit is still being evaluated"));
    return false;
  }
  const std::string scenario_file = path.toStdString();
  const std::string stem = path.endsWith(".json") ? path.chopped(5).toStdString() : scenario_file;
  const EvalReport report = o->evaluation->report();
  try {
    write_files_atomically({{scenario_file, document_.json().dump(2) + "\n"},
                            {stem + ".report.json", report.json.dump(2) + "\n"},
                            {stem + ".report.txt", report.text}});
  } catch (const std::exception& e) {
    set_banner("Could not export " + path + ": " + QString::fromStdString(e.what()));
    return false;
  }
  set_banner("");
  statusBar()->showMessage("Exported " + path + " and its report", 4000);
  return true;
}

bool MainWindow::settled() const {
  return !debounce_.isActive() && evaluator_->idle() && outcome_ && outcome_->generation == evaluator_->generation();
}

QString MainWindow::banner() const {
  return banner_->isHidden() ? QString() : banner_->text(); // isHidden: also before the window is shown
}

void MainWindow::set_banner(const QString& text) {
  banner_->setText(text);
  banner_->setVisible(!text.isEmpty());
}

std::string MainWindow::label() const {
  return document_.path().isEmpty() ? "<editor>" : document_.path().toStdString();
}

void MainWindow::on_changed() {
  debounce_.start();
  statusBar()->showMessage("evaluating...");
}

void MainWindow::on_evaluated(std::shared_ptr<const Outcome> outcome) {
  outcome_ = outcome;
  editor_->show_problems(outcome->problems, outcome->internal_error);
  if (outcome->evaluation) {
    headline_->show_evaluation(outcome->evaluation);
    refresh_current_tab();
    statusBar()->showMessage(QString("evaluated in %1 ms").arg(1e3 * outcome->seconds, 0, 'f', 1));
  } else {
    headline_->set_stale(true);
    statusBar()->showMessage(QString("%1 problem(s): see the Scenario tab").arg(outcome->problems.size()));
  }
  whatif_->show_outcome(*outcome);
  Q_EMIT outcome_shown(outcome);
}

void MainWindow::refresh_current_tab() {
  QWidget* tab = tabs_->currentWidget();
  if (!outcome_ || !outcome_->evaluation) return;
  std::uint64_t& drawn = drawn_generation_[tab];
  if (drawn == outcome_->generation) return;
  drawn = outcome_->generation;
  const auto& e = outcome_->evaluation;
  if (tab == roofline_) roofline_->show_evaluation(e);
  if (tab == breakdown_) breakdown_->show_evaluation(e);
  if (tab == traffic_) traffic_->show_evaluation(e);
  if (tab == placement_) placement_->show_evaluation(e);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (document_.modified() &&
      QMessageBox::question(this, "moescope", "The scenario has unsaved edits. Quit anyway?") != QMessageBox::Yes) {
    event->ignore();
    return;
  }
  event->accept();
}

} // namespace moescope::gui
