#pragma once
// The moescope desktop explorer: the scenario document, its evaluator and one tab per view. Every edit of the
// document is evaluated off the UI thread; each view shows the newest evaluation. The headline panel stays beside
// every tab, so an edit anywhere shows its effect at once.
#include <QMainWindow>
#include <QTimer>
#include <map>
#include <memory>

#include "evaluator.hpp"
#include "recent_files.hpp"
#include "scenario_document.hpp"

class QLabel;
class QMenu;
class QTabWidget;

namespace moescope::gui {

class BreakdownView;
class EditorView;
class HeadlineView;
class PlacementView;
class RooflineView;
class SensitivityView;
class SolveView;
class SweepView;
class TrafficView;
class ValidationView;
class WhatIfView;

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  // `data_root` as for Session ("" = $MOESCOPE_DATA_DIR or the source tree). Starts on scenarios/default.json.
  explicit MainWindow(const std::string& data_root = "", QWidget* parent = nullptr);
  ~MainWindow() override;

  bool open_file(const QString& path); // false: the document is unchanged and the banner says why
  bool save_to(const QString& path);
  // The session as files: the scenario at `path` and its report beside it (<stem>.report.json, exactly what
  // `moescope eval -o` writes, and <stem>.report.txt), all or none. False, with the banner saying why, while the
  // newest edit is not evaluated or has problems.
  bool export_session(const QString& path);

  ScenarioDocument& document() { return document_; }
  Evaluator& evaluator() { return *evaluator_; }
  Session& session() { return *session_; }
  std::shared_ptr<const Outcome> last_outcome() const { return outcome_; }
  // True when the newest edit has been evaluated and shown (no debounce pending, nothing in flight).
  bool settled() const;
  QString banner() const; // the last open/save error ("" when none)
  QTabWidget* tabs() const { return tabs_; }
  EditorView* editor() const { return editor_; }
  HeadlineView* headline() const { return headline_; }
  RooflineView* roofline() const { return roofline_; }
  BreakdownView* breakdown() const { return breakdown_; }
  WhatIfView* whatif() const { return whatif_; }
  TrafficView* traffic() const { return traffic_; }
  SweepView* sweep() const { return sweep_; }
  SensitivityView* sensitivity() const { return sensitivity_; }
  ValidationView* validation() const { return validation_; }
  PlacementView* placement() const { return placement_; }
  SolveView* solve() const { return solve_; }
  // Edits within this many milliseconds are evaluated once (the evaluator also drops stale results).
  void set_debounce_ms(int ms) { debounce_.setInterval(ms); }

Q_SIGNALS:
  void outcome_shown(std::shared_ptr<const Outcome> outcome); // after every view has been updated

protected:
  void closeEvent(QCloseEvent* event) override;

private:
  void build_menus();
  void rebuild_recent_menu();
  void remember(const QString& path); // after a good open or save: banner cleared, recent files updated
  void on_changed();
  void on_evaluated(std::shared_ptr<const Outcome> outcome);
  void set_banner(const QString& text);
  void refresh_current_tab(); // a chart tab draws the newest evaluation when it is shown, not on every edit
  std::string label() const;

  std::unique_ptr<Session> session_;
  ScenarioDocument document_;
  std::unique_ptr<Evaluator> evaluator_;
  RecentFiles recent_;
  std::shared_ptr<const Outcome> outcome_;
  QTimer debounce_;
  std::map<QWidget*, std::uint64_t> drawn_generation_; // per chart tab: the evaluation it shows
  QLabel* banner_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  EditorView* editor_ = nullptr;
  HeadlineView* headline_ = nullptr;
  RooflineView* roofline_ = nullptr;
  BreakdownView* breakdown_ = nullptr;
  WhatIfView* whatif_ = nullptr;
  TrafficView* traffic_ = nullptr;
  SweepView* sweep_ = nullptr;
  SensitivityView* sensitivity_ = nullptr;
  ValidationView* validation_ = nullptr;
  PlacementView* placement_ = nullptr;
  SolveView* solve_ = nullptr;
};

} // namespace moescope::gui
