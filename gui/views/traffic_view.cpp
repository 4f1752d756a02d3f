#include "views/traffic_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <QValueAxis>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "charts/heatmap.hpp"
#include "charts/phase_choice.hpp"
#include "study/placement_study.hpp"
#include "util/text_table.hpp"

namespace moescope::gui {

TrafficView::TrafficView(ScenarioDocument& document, QWidget* parent)
    : QWidget(parent), document_(document), phase_(phase_combo(this)), direction_(new QComboBox(this)),
      strategy_(new QComboBox(this)), summary_(new QLabel(this)), gpus_(new Heatmap(this)), nodes_(new Heatmap(this)),
      tiers_(make_chart_view("Utilization over the step", this)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = export_bar(this);
  int at = 0;
  for (auto [label, combo] :
       {std::pair{"phase", phase_}, std::pair{"direction", direction_}, std::pair{"placement strategy", strategy_}}) {
    bar->insertWidget(at++, new QLabel(label, this));
    bar->insertWidget(at++, combo);
  }
  direction_->addItems({"dispatch", "combine"});
  for (const auto& name : placement::placement_strategy_names())
    strategy_->addItem(QString::fromStdString(name));
  connect(phase_, &QComboBox::currentTextChanged, this, &TrafficView::redraw);
  connect(direction_, &QComboBox::currentTextChanged, this, &TrafficView::redraw);
  connect(strategy_, &QComboBox::currentTextChanged, this, [this](const QString& s) {
    if (!updating_) document_.set("/placement/strategy", Json(s.toStdString()));
  });
  layout->addLayout(bar);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  auto* maps = new QHBoxLayout;
  maps->addWidget(gpus_, 3);
  maps->addWidget(nodes_, 2);
  maps->addWidget(tiers_, 2);
  layout->addLayout(maps, 1);
}

void TrafficView::set_phase(Phase p) {
  choose_phase(phase_, p);
}

void TrafficView::set_direction(const QString& d) {
  direction_->setCurrentText(d);
}

QString TrafficView::message() const {
  return gpus_->size() == 0 ? summary_->text() : QString();
}

void TrafficView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  evaluation_ = std::move(e);
  updating_ = true;
  strategy_->setCurrentText(QString::fromStdString(evaluation_->scenario.scenario.placement.strategy));
  updating_ = false;
  redraw();
}

void TrafficView::redraw() {
  if (!evaluation_) return;
  const Phase phase = chosen_phase(phase_);
  const PhaseResult& p = phase_result(*evaluation_, phase);
  clear_chart(tiers_);
  utilization_ = new QBarSeries;
  auto* set = new QBarSet(QString::fromStdString(to_string(phase)));
  *set << 100 * p.compute_utilization << 100 * p.hbm_bandwidth_utilization << 100 * p.scale_up_utilization
       << 100 * p.scale_out_utilization;
  utilization_->append(set);
  auto* x = new QBarCategoryAxis;
  x->append({"compute", "HBM", "scale-up", "scale-out"});
  tiers_->chart()->addAxis(x, Qt::AlignBottom);
  auto* y = value_axis("% of peak");
  y->setRange(0, 100);
  tiers_->chart()->addAxis(y, Qt::AlignLeft);
  attach(tiers_, utilization_);
  try {
    const TrafficMatrices m = traffic_matrices(*evaluation_, phase);
    const bool dispatch = direction_->currentText() == "dispatch";
    gpus_->set_matrix("GPU x GPU " + direction_->currentText() + " bytes",
                      dispatch ? m.dispatch_gpu_bytes : m.combine_gpu_bytes, m.gpus, m.gpus_per_node);
    nodes_->set_matrix("node x node " + direction_->currentText() + " bytes",
                       dispatch ? m.dispatch_node_bytes : m.combine_node_bytes, m.nodes, 0);
    const AllToAllPhase& a = dispatch ? p.moe.dispatch : p.moe.combine;
    const auto [src, dst] = gpus_->busiest();
    summary_->setText(QString::fromStdString(
        "one MoE layer, placement " + p.moe.placement + ", routing " + p.moe.routing + "; busiest GPU pair " +
        (src >= 0 ? std::to_string(src) + " -> " + std::to_string(dst) : std::string("none")) +
        " (outlined); the engine's busiest link: " + a.busiest_link + ", " + format_bytes(a.busiest_link_bytes)));
  } catch (const InputError& e) {
    gpus_->set_matrix("", {}, 0, 0);
    nodes_->set_matrix("", {}, 0, 0);
    summary_->setText(QString::fromStdString(e.diagnostics().to_string()));
  }
}

} // namespace moescope::gui
