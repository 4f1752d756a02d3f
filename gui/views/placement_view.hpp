#pragma once
// View 6, placement: one strategy fitted on a routing trace, drawn as GPUs x expert slots per layer coloured by the
// tokens each slot serves (study/placement_map), replicated experts marked, node boundaries drawn, the GPUs' max /
// mean; and the comparison table of `moescope place compare` (every strategy fitted on training requests and scored
// on held-out ones, as ratios to linear) for the chosen topology. The trace defaults to the scenario's routing trace,
// else the bundled DeepSeek-V2-Lite sample. Fits and the comparison run off the UI thread; the comparison shows its
// progress and can be cancelled.
#include <QThreadPool>
#include <QWidget>
#include <atomic>
#include <memory>

#include "study/placement_map.hpp"
#include "study/placement_study.hpp"
#include "study/session.hpp"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace moescope::gui {

class SlotMap;

class PlacementView : public QWidget {
  Q_OBJECT
public:
  PlacementView(Session& session, QWidget* parent = nullptr);
  ~PlacementView() override; // cancels the comparison and waits for the work in flight

  // The scenario's trace, topology and strategy, when those changed in the scenario since the last call.
  void show_evaluation(std::shared_ptr<const Evaluation> e);
  void set_trace(const QString& path);
  void set_strategy(const QString& strategy);
  void set_topology(int nodes, int gpus_per_node, int redundant_slots);
  void set_layer(int layer);
  void refresh(); // fits the chosen strategy now (off the UI thread); also done when the view is shown
  void compare(); // the comparison table, off the UI thread
  void cancel();  // the comparison
  bool busy() const { return fitting_ || comparing_; }

  QString trace() const;
  QString strategy() const;
  int layer() const;
  const PlacementMap& map() const { return map_; }
  SlotMap* slot_map() const { return slots_; }
  const std::vector<PlacementComparisonRow>& rows() const { return rows_; }
  QTableWidget* table() const { return table_; }
  QString message() const;       // the fit's error ("" when shown)
  QString compare_state() const; // "idle", "running", "cancelled", "done", or the error

Q_SIGNALS:
  void plan_shown();
  void compared();

protected:
  void showEvent(QShowEvent* event) override;

private:
  struct Inputs {
    std::string trace, strategy;
    int nodes = 0, gpus_per_node = 0, redundant = 0;
  };
  Inputs inputs() const;
  void changed(); // an input changed: fit again when visible
  void start_fit(std::uint64_t generation);
  void redraw_map();
  void redraw_table();

  Session& session_;
  QThreadPool fit_pool_, compare_pool_;
  QLineEdit* trace_;
  QComboBox* strategy_;
  QSpinBox* nodes_;
  QSpinBox* gpus_per_node_;
  QSpinBox* redundant_;
  QSpinBox* layer_;
  QPushButton* compare_;
  QPushButton* cancel_;
  QProgressBar* progress_;
  QLabel* status_;
  SlotMap* slots_;
  QTableWidget* table_;
  PlacementMap map_;
  QString fit_error_;
  std::vector<PlacementComparisonRow> rows_;
  QString compare_state_ = "idle";
  std::string applied_scenario_; // the scenario's trace, topology and strategy last applied
  std::uint64_t fit_generation_ = 0;
  bool fitting_ = false, comparing_ = false, dirty_ = true, updating_ = false;
  std::atomic<bool> cancel_requested_{false};
};

} // namespace moescope::gui
