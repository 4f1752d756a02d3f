#include "views/timeline_view.hpp"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "charts/export.hpp"
#include "charts/gantt.hpp"
#include "charts/phase_choice.hpp"

namespace moescope::gui {

namespace {

const TboOpKind kKinds[] = {TboOpKind::attention_prep, TboOpKind::attention, TboOpKind::shared, TboOpKind::experts,
                            TboOpKind::dispatch,       TboOpKind::combine,   TboOpKind::stall};

// Hues apart, so that micro-batch b's lighter shade of one kind is not taken for another kind.
QColor kind_colour(TboOpKind k) {
  switch (k) {
  case TboOpKind::attention_prep:
    return QColor("#8c564b");
  case TboOpKind::attention:
    return QColor("#1f77b4");
  case TboOpKind::shared:
    return QColor("#bcbd22");
  case TboOpKind::experts:
    return QColor("#2ca02c");
  case TboOpKind::dispatch:
    return QColor("#ff7f0e");
  case TboOpKind::combine:
    return QColor("#9467bd");
  case TboOpKind::stall:
    return QColor("#d62728");
  }
  return Qt::gray;
}

QString us(double seconds) {
  return QString::number(1e6 * seconds, 'f', 1) + " us";
}

QString mb(int m) {
  return m == 0 ? "a" : "b";
}

} // namespace

TimelineView::TimelineView(QWidget* parent)
    : QWidget(parent), phase_(phase_combo(this)), layers_(new QSpinBox(this)), summary_(new QLabel(this)),
      gantt_(new Gantt(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = export_bar(gantt_);
  bar->insertWidget(0, new QLabel("phase", this));
  bar->insertWidget(1, phase_);
  bar->insertWidget(2, new QLabel("MoE layers", this));
  bar->insertWidget(3, layers_);
  layers_->setRange(1, 64);
  layers_->setValue(4);
  auto* csv = new QPushButton("CSV...", this);
  connect(csv, &QPushButton::clicked, this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, "Export", {}, "CSV (*.csv)");
    if (!p.isEmpty()) save_text(QString::fromStdString(tbo_timeline_csv(timeline_)), p);
  });
  bar->addWidget(csv);
  connect(phase_, &QComboBox::currentTextChanged, this, &TimelineView::redraw);
  connect(layers_, &QSpinBox::valueChanged, this, &TimelineView::redraw);
  layout->addLayout(bar);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  layout->addWidget(gantt_, 1);
}

void TimelineView::set_phase(Phase p) {
  choose_phase(phase_, p);
}

Phase TimelineView::phase() const {
  return chosen_phase(phase_);
}

void TimelineView::set_layers(int n) {
  layers_->setValue(n);
}

QString TimelineView::summary() const {
  return summary_->text();
}

void TimelineView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  evaluation_ = std::move(e);
  redraw();
}

QString TimelineView::tooltip(const TboTimeline& t, const TboInterval& i) {
  const QString layer = QString::number(t.first_layer + i.layer);
  const QString head = i.kind == TboOpKind::stall
                           ? QString("stall: micro-batch %1 waits for its %2 of layer %3")
                                 .arg(mb(i.microbatch), QString::fromStdString(to_string(i.waits_for)), layer)
                           : QString("%1, layer %2, micro-batch %3")
                                 .arg(QString::fromStdString(to_string(i.kind)), layer, mb(i.microbatch));
  return head + QString("\nstart %1, duration %2").arg(us(i.start_seconds), us(i.end_seconds - i.start_seconds));
}

void TimelineView::redraw() {
  if (!evaluation_) return;
  timeline_ = tbo_timeline(*evaluation_, phase(), layers_->value());
  const TboTimeline& t = timeline_;
  const QString phase_name = QString::fromStdString(to_string(t.phase));
  const QString mode = QString::fromStdString(to_string(evaluation_->scenario.scenario.engine.overlap));
  const QString title = t.configured
                            ? "Two-batch overlap schedule, " + phase_name
                            : "What two-batch overlap would do, " + phase_name + " (scenario overlap: " + mode + ")";
  std::vector<GanttBar> bars;
  bool present[std::size(kKinds)] = {};
  for (const TboInterval& i : t.intervals) {
    GanttBar b;
    b.lane = i.stream == TboStream::compute ? 0 : 1;
    b.start = 1e6 * i.start_seconds;
    b.end = 1e6 * i.end_seconds;
    b.colour = kind_colour(i.kind);
    if (i.kind == TboOpKind::stall)
      b.pattern = Qt::BDiagPattern;
    else if (i.microbatch == 1)
      b.colour = b.colour.lighter(150);
    b.label = mb(i.microbatch) + QString::number(t.first_layer + i.layer);
    b.tooltip = tooltip(t, i);
    bars.push_back(b);
    for (std::size_t k = 0; k < std::size(kKinds); ++k)
      present[k] = present[k] || kKinds[k] == i.kind;
  }
  std::vector<GanttLegendEntry> legend;
  for (std::size_t k = 0; k < std::size(kKinds); ++k)
    if (present[k])
      legend.push_back({QString::fromStdString(to_string(kKinds[k])), kind_colour(kKinds[k]),
                        kKinds[k] == TboOpKind::stall ? Qt::BDiagPattern : Qt::SolidPattern});
  if (!bars.empty()) legend.push_back({"micro-batch b: lighter shade", QColor("#dddddd")});
  gantt_->set_bars(title, {"compute", "communication"}, "microseconds from the region's start", std::move(bars),
                   std::move(legend));
  if (!t.note.empty()) {
    summary_->setText(QString::fromStdString("No two-batch schedule for " + to_string(t.phase) + ": " + t.note));
    return;
  }
  QString text = t.configured ? QString()
                              : "The scenario's overlap is " + mode +
                                    ": this is what two-batch overlap would do, for comparison. ";
  text += QString("Layers %1-%2 of the stage, the first %3 of a two-batch region of %4 MoE layers. Shown: %5, of it "
                  "%6 compute stalls; whole region: %7, compute idle %8.")
              .arg(t.first_layer)
              .arg(t.first_layer + t.layers_shown - 1)
              .arg(t.layers_shown)
              .arg(t.region_layers)
              .arg(us(t.end_seconds), us(t.stall_seconds), us(t.region_makespan_seconds),
                   us(t.region_compute_idle_seconds));
  summary_->setText(text);
}

} // namespace moescope::gui
