#include "views/whatif_view.hpp"

#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "util/text_table.hpp"

namespace moescope::gui {

namespace {

Knob hardware(const std::string& pointer, const QString& label, const QString& unit, const Quantity& q) {
  return Knob{pointer, label, unit, q.value, QString::fromStdString(q.source), q.value / 10, q.value * 10, false};
}

QString format_knob(const Knob& k, double v) {
  if (k.integer) return QString::number(std::llround(v));
  if (k.unit == "s") return QString::fromStdString(format_seconds(v));
  return QString::fromStdString(format_si(v, k.unit.toStdString()));
}

} // namespace

std::vector<Knob> whatif_knobs(const ResolvedScenario& s) {
  std::vector<Knob> k;
  const std::string acc = "/hardware_overrides/accelerator_fields/";
  k.push_back(
      hardware(acc + "hbm_bandwidth_bytes_per_s", "HBM bandwidth", "B/s", s.accelerator.hbm_bandwidth_bytes_per_s));
  for (const auto& [t, q] : s.accelerator.peak_dense_flop_per_s)
    if (t == DataType::bf16 || t == DataType::fp8 || t == DataType::fp4)
      k.push_back(hardware(acc + "peak_dense_flop_per_s/" + to_string(t),
                           QString::fromStdString("FLOP/s " + to_string(t)), "FLOP/s", q));
  k.push_back(hardware("/hardware_overrides/scale_up/link_bandwidth_per_direction_bytes_per_s",
                       "scale-up link bandwidth", "B/s", s.scale_up.link_bandwidth_per_direction_bytes_per_s));
  k.push_back(
      hardware("/hardware_overrides/scale_up/latency_seconds", "scale-up latency", "s", s.scale_up.latency_seconds));
  if (s.scale_out) {
    k.push_back(hardware("/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s",
                         "scale-out link bandwidth", "B/s", s.scale_out->link_bandwidth_per_direction_bytes_per_s));
    k.push_back(hardware("/hardware_overrides/scale_out/latency_seconds", "scale-out latency", "s",
                         s.scale_out->latency_seconds));
  }
  const auto& sc = s.scenario;
  k.push_back(Knob{"/workload/batch_per_gpu", "batch per GPU", "", static_cast<double>(sc.workload.batch_per_gpu),
                   "the scenario's setting", 1, 1024, true});
  k.push_back(Knob{"/deployment/nodes", "nodes", "", static_cast<double>(sc.deployment.nodes), "the scenario's setting",
                   1, 64, true});
  return k;
}

double WhatIfView::value_at(const Knob& k, int position) {
  const double v = k.lo * std::pow(k.hi / k.lo, static_cast<double>(position) / kSteps);
  return k.integer ? static_cast<double>(std::llround(v)) : v;
}

int WhatIfView::position_of(const Knob& k, double value) {
  const double f = std::log(value / k.lo) / std::log(k.hi / k.lo);
  return static_cast<int>(std::lround(std::clamp(f, 0.0, 1.0) * kSteps));
}

WhatIfView::WhatIfView(ScenarioDocument& document, QWidget* parent)
    : QWidget(parent), document_(document), grid_(new QGridLayout) {
  auto* layout = new QVBoxLayout(this);
  auto* note = new QLabel("Sliders write hardware_overrides (and batch, nodes) into the scenario; the centre tick "
                          "of a hardware slider is the hwdb value. Undo reverts a drag in one step.",
                          this);
  note->setWordWrap(true);
  layout->addWidget(note);
  layout->addLayout(grid_);
  auto* reset = new QPushButton("Reset hardware to hwdb", this);
  connect(reset, &QPushButton::clicked, this, [this] { document_.set("/hardware_overrides", Json()); });
  layout->addWidget(reset, 0, Qt::AlignLeft);
  layout->addStretch(1);
  connect(&document_, &ScenarioDocument::changed, this, &WhatIfView::sync);
}

void WhatIfView::show_outcome(const Outcome& outcome) {
  if (!outcome.hwdb_scenario) return; // keep the sliders of the last valid scenario
  std::vector<Knob> knobs = whatif_knobs(*outcome.hwdb_scenario);
  bool same = knobs.size() == knobs_.size();
  for (std::size_t i = 0; same && i < knobs.size(); ++i)
    same = knobs[i].pointer == knobs_[i].pointer && (knobs[i].integer || knobs[i].hwdb == knobs_[i].hwdb);
  if (!same) rebuild(knobs);
  sync();
}

void WhatIfView::rebuild(const std::vector<Knob>& knobs) {
  while (QLayoutItem* item = grid_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  knobs_ = knobs;
  sliders_.clear();
  values_.clear();
  for (std::size_t i = 0; i < knobs_.size(); ++i) {
    const Knob& k = knobs_[i];
    const int row = static_cast<int>(i);
    auto* slider = new QSlider(Qt::Horizontal, this);
    slider->setRange(0, kSteps);
    if (!k.integer) {
      slider->setTickPosition(QSlider::TicksBelow);
      slider->setTickInterval(kSteps / 2); // the middle tick is the hwdb value
    }
    const QString tip = k.integer ? k.source : "hwdb: " + format_knob(k, k.hwdb) + "\nsource: " + k.source;
    slider->setToolTip(tip);
    auto* value = new QLabel(this);
    value->setMinimumWidth(220);
    grid_->addWidget(new QLabel(k.label, this), row, 0);
    grid_->addWidget(slider, row, 1);
    grid_->addWidget(value, row, 2);
    if (!k.integer) grid_->addWidget(new QLabel("hwdb " + format_knob(k, k.hwdb), this), row, 3);
    connect(slider, &QSlider::valueChanged, this, [this, i](int position) {
      if (syncing_) return;
      const Knob& knob = knobs_[i];
      const double v = value_at(knob, position);
      document_.set(knob.pointer, knob.integer ? Json(static_cast<std::int64_t>(v)) : Json(v), /*merge=*/true);
    });
    sliders_.push_back(slider);
    values_.push_back(value);
  }
  grid_->setColumnStretch(1, 1);
}

void WhatIfView::sync() {
  syncing_ = true;
  for (std::size_t i = 0; i < knobs_.size(); ++i) {
    const Knob& k = knobs_[i];
    const Json v = document_.value(k.pointer);
    const double value = v.is_number() ? v.get<double>() : k.hwdb;
    sliders_[i]->setValue(position_of(k, value));
    values_[i]->setText(format_knob(k, value) + (v.is_number() && !k.integer ? "  (override)" : ""));
  }
  syncing_ = false;
}

QSlider* WhatIfView::slider(const std::string& pointer) const {
  for (std::size_t i = 0; i < knobs_.size(); ++i)
    if (knobs_[i].pointer == pointer) return sliders_[i];
  return nullptr;
}

} // namespace moescope::gui
