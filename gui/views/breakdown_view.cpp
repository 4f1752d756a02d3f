#include "views/breakdown_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "charts/phase_choice.hpp"
#include "views/timeline_view.hpp"

namespace moescope::gui {

BreakdownView::BreakdownView(QWidget* parent)
    : QWidget(parent), phase_(phase_combo(this)),
      components_view_(make_chart_view("Time per layer by component (no overlap)", this)),
      overlaps_view_(make_chart_view("Time per layer by overlap mode", this)), timeline_(new TimelineView(this)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = export_bar(this);
  bar->insertWidget(0, new QLabel("phase", this));
  bar->insertWidget(1, phase_);
  connect(phase_, &QComboBox::currentTextChanged, this, &BreakdownView::redraw);
  layout->addLayout(bar);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* top = new QWidget(split);
  auto* charts = new QHBoxLayout(top);
  charts->setContentsMargins(0, 0, 0, 0);
  charts->addWidget(components_view_, 3);
  charts->addWidget(overlaps_view_, 2);
  split->addWidget(top);
  split->addWidget(timeline_);
  split->setSizes({500, 400}); // scaled to the tab's height
  layout->addWidget(split, 1);
  // One phase for the whole tab, whichever chooser the user touches.
  connect(phase_, &QComboBox::currentTextChanged, this, [this] { timeline_->set_phase(chosen_phase(phase_)); });
  connect(timeline_->phase_box(), &QComboBox::currentTextChanged, this,
          [this] { choose_phase(phase_, timeline_->phase()); });
}

const std::vector<Overlap>& BreakdownView::overlap_modes() {
  static const std::vector<Overlap> m = {Overlap::none, Overlap::two_batch, Overlap::two_batch_ideal,
                                         Overlap::intra_layer};
  return m;
}

double BreakdownView::overlap_seconds(const LayerBreakdown& l, Overlap mode) {
  switch (mode) {
  case Overlap::none:
    return l.serial_seconds;
  case Overlap::two_batch:
    return l.two_batch_seconds;
  case Overlap::two_batch_ideal:
    return l.two_batch_ideal_seconds;
  case Overlap::intra_layer:
    return l.intra_layer_seconds;
  }
  return l.serial_seconds;
}

void BreakdownView::set_phase(Phase p) {
  choose_phase(phase_, p);
}

void BreakdownView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  evaluation_ = std::move(e);
  redraw();
  timeline_->show_evaluation(evaluation_);
}

const PhaseResult* BreakdownView::shown_phase() const {
  if (!evaluation_) return nullptr;
  const PhaseResult& p = phase_result(*evaluation_, chosen_phase(phase_));
  return p.evaluated ? &p : nullptr;
}

namespace {

void set_axes(QChartView* view, QAbstractSeries* series, const QStringList& categories) {
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  view->chart()->addAxis(x, Qt::AlignBottom);
  view->chart()->addAxis(value_axis("microseconds per layer"), Qt::AlignLeft);
  attach(view, series);
}

} // namespace

void BreakdownView::redraw() {
  clear_chart(components_view_);
  clear_chart(overlaps_view_);
  components_ = nullptr;
  overlaps_ = nullptr;
  const PhaseResult* p = shown_phase();
  if (!p) return;
  QStringList categories;
  for (const auto& l : p->layers)
    categories << QString("%1 (x%2)").arg(QString::fromStdString(l.id)).arg(l.count);
  components_ = new QStackedBarSeries;
  for (const auto& c : engine_components()) {
    bool any = false;
    auto* set = new QBarSet(QString::fromStdString(c));
    for (const auto& l : p->layers) {
      const auto it = l.component_seconds.find(c);
      const double s = it == l.component_seconds.end() ? 0 : it->second;
      any = any || s > 0;
      *set << 1e6 * s;
    }
    if (any)
      components_->append(set);
    else
      delete set;
  }
  set_axes(components_view_, components_, categories);
  overlaps_ = new QBarSeries;
  for (Overlap mode : overlap_modes()) {
    auto* set = new QBarSet(QString::fromStdString(to_string(mode)));
    for (const auto& l : p->layers)
      *set << 1e6 * overlap_seconds(l, mode);
    overlaps_->append(set);
  }
  set_axes(overlaps_view_, overlaps_, categories);
}

} // namespace moescope::gui
