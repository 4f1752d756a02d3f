#include "views/roofline_view.hpp"

#include <QComboBox>
#include <QCursor>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"
#include "charts/phase_choice.hpp"
#include "util/text_table.hpp"

namespace moescope::gui {

namespace {

QColor bound_colour(const std::string& bound) {
  static const std::map<std::string, QColor> c = {{"compute", QColor("#d62728")},  {"memory", QColor("#1f77b4")},
                                                  {"hbm", QColor("#1f77b4")},      {"launch", QColor("#7f7f7f")},
                                                  {"scale-up", QColor("#2ca02c")}, {"scale-out", QColor("#ff7f0e")}};
  const auto it = c.find(bound);
  return it == c.end() ? QColor(Qt::black) : it->second;
}

QString level_title(RooflineLevel l) {
  return l == RooflineLevel::hbm ? "HBM" : l == RooflineLevel::scale_up ? "scale-up" : "scale-out";
}

} // namespace

QString describe(const RooflinePoint& p) {
  return QString::fromStdString(
      p.layer_type + " " + p.name + " (" + to_string(p.level) + ")\n" + format_si(p.flop, "FLOP") + ", " +
      format_bytes(p.bytes) + ", " + format_fixed(p.flop_per_byte(), 2) + " FLOP/byte\n" + format_seconds(p.seconds) +
      ", " + format_si(p.attained_flop_per_s(), "FLOP/s") + ", " + p.bound + "-bound, " + to_string(p.compute_dtype));
}

RooflineView::RooflineView(QWidget* parent)
    : QWidget(parent), phase_(phase_combo(this)), view_(make_chart_view("Roofline", this)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = export_bar(view_);
  bar->insertWidget(0, new QLabel("phase", this));
  bar->insertWidget(1, phase_);
  connect(phase_, &QComboBox::currentTextChanged, this, &RooflineView::redraw);
  view_->chart()->legend()->setAlignment(Qt::AlignRight); // a dozen series: their names need the width
  layout->addLayout(bar);
  layout->addWidget(view_);
}

Phase RooflineView::phase() const {
  return chosen_phase(phase_);
}

void RooflineView::set_phase(Phase p) {
  choose_phase(phase_, p);
}

void RooflineView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  roofline_ = evaluation_roofline(*e);
  redraw();
}

void RooflineView::redraw() {
  clear_chart(view_);
  plotted_.clear();
  QChart* chart = view_->chart();
  chart->addAxis(log_axis("FLOP per byte (HBM, NVLink or NIC)"), Qt::AlignBottom);
  chart->addAxis(log_axis("attained FLOP/s"), Qt::AlignLeft);
  // Group the phase's points by (operator or layer, level, bound): one series each, coloured by the bound.
  std::map<std::tuple<bool, RooflineLevel, std::string>, std::vector<RooflinePoint>> groups;
  std::set<DataType> dtypes;
  double xmin = 1e300, xmax = 0, ymin = 1e300;
  for (const auto& p : roofline_.points) {
    if (p.phase != phase()) continue;
    groups[{p.name == "layer", p.level, p.bound}].push_back(p);
    dtypes.insert(p.compute_dtype);
    xmin = std::min(xmin, p.flop_per_byte());
    xmax = std::max(xmax, p.flop_per_byte());
    ymin = std::min(ymin, p.attained_flop_per_s());
  }
  if (groups.empty()) return;
  double peak = 0;
  for (DataType t : dtypes)
    if (roofline_.compute_flop_per_s.count(t)) peak = std::max(peak, roofline_.compute_flop_per_s.at(t));
  xmin /= 4;
  xmax *= 4;
  for (DataType t : dtypes) {
    if (!roofline_.compute_flop_per_s.count(t)) continue;
    auto* roof = new QLineSeries;
    const double y = roofline_.compute_flop_per_s.at(t);
    roof->setName(QString::fromStdString("compute roof, " + to_string(t) + " " + format_si(y, "FLOP/s")));
    roof->append(xmin, y);
    roof->append(xmax, y);
    roof->setPen(QPen(bound_colour("compute"), 2, Qt::DashLine));
    attach(view_, roof);
  }
  for (const auto& [name, key, bw] : {std::tuple{"HBM roof", "hbm", roofline_.hbm_bytes_per_s},
                                      std::tuple{"scale-up roof", "scale-up", roofline_.scale_up_bytes_per_s},
                                      std::tuple{"scale-out roof", "scale-out", roofline_.scale_out_bytes_per_s}}) {
    if (bw <= 0 || peak <= 0) continue;
    auto* roof = new QLineSeries;
    roof->setName(QString::fromStdString(std::string(name) + " " + format_si(bw, "B/s")));
    roof->append(xmin, bw * xmin);
    roof->append(std::min(xmax, peak / bw), std::min(bw * xmax, peak));
    roof->setPen(QPen(bound_colour(key), 2));
    attach(view_, roof);
    ymin = std::min(ymin, bw * xmin);
  }
  for (auto& [key, points] : groups) {
    const auto& [layer, level, bound] = key;
    auto* s = new QScatterSeries;
    s->setName((layer ? "layers vs " + level_title(level) : QString("operators vs HBM")) + ", " +
               QString::fromStdString(bound) + "-bound");
    s->setColor(bound_colour(bound));
    s->setBorderColor(layer ? Qt::black : bound_colour(bound));
    s->setMarkerSize(layer ? 13 : 8);
    s->setMarkerShape(!layer                             ? QScatterSeries::MarkerShapeCircle
                      : level == RooflineLevel::hbm      ? QScatterSeries::MarkerShapeRectangle
                      : level == RooflineLevel::scale_up ? QScatterSeries::MarkerShapeTriangle
                                                         : QScatterSeries::MarkerShapeStar);
    for (const auto& p : points)
      s->append(p.flop_per_byte(), p.attained_flop_per_s());
    attach(view_, s);
    plotted_.push_back(PlottedSeries{s, points});
    const std::size_t index = plotted_.size() - 1;
    connect(s, &QScatterSeries::hovered, this, [this, index](const QPointF& at, bool on) {
      if (!on) return QToolTip::hideText();
      const auto& ps = plotted_[index];
      const auto pts = ps.series->points();
      for (int i = 0; i < pts.size(); ++i)
        if (pts[i] == at) return QToolTip::showText(QCursor::pos(), describe(ps.points[static_cast<std::size_t>(i)]));
    });
  }
  chart->axes(Qt::Horizontal).first()->setRange(xmin, xmax);
  chart->axes(Qt::Vertical).first()->setRange(ymin / 2, peak * 2);
}

} // namespace moescope::gui
