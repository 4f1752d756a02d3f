#pragma once
// View 5, traffic: GPU x GPU and node x node heatmaps of one MoE layer's dispatch or combine bytes (study/traffic),
// the busiest link outlined, and the utilization of each tier over the step. The placement strategy chooser writes
// the scenario's placement.strategy, so the maps and the busiest link follow a strategy change.
#include <QWidget>
#include <memory>

#include "scenario_document.hpp"
#include "study/traffic.hpp"

class QBarSeries;
class QChartView;
class QComboBox;
class QLabel;

namespace moescope::gui {

class Heatmap;

class TrafficView : public QWidget {
  Q_OBJECT
public:
  TrafficView(ScenarioDocument& document, QWidget* parent = nullptr);
  void show_evaluation(std::shared_ptr<const Evaluation> e);
  void set_phase(Phase phase);
  void set_direction(const QString& direction); // "dispatch" or "combine"

  Heatmap* gpu_map() const { return gpus_; }
  Heatmap* node_map() const { return nodes_; }
  QBarSeries* utilization() const { return utilization_; }
  QComboBox* strategy() const { return strategy_; }
  QString message() const; // why the maps are empty ("" when shown)

private:
  void redraw();

  ScenarioDocument& document_;
  std::shared_ptr<const Evaluation> evaluation_;
  QComboBox* phase_;
  QComboBox* direction_;
  QComboBox* strategy_;
  QLabel* summary_;
  Heatmap* gpus_;
  Heatmap* nodes_;
  QChartView* tiers_;
  QBarSeries* utilization_ = nullptr;
  bool updating_ = false;
};

} // namespace moescope::gui
