#include "views/placement_view.hpp"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "charts/export.hpp"
#include "charts/slot_map.hpp"
#include "study_error.hpp"
#include "util/text_table.hpp"

namespace moescope::gui {

namespace {

struct Cancelled {}; // thrown from the progress callback: the comparison stops after the fit in flight

const char* const kBundledTrace = "/tests/data/traces/deepseek-v2-lite-chat-20.mst";
// The MoE layer of each strategy is timed on this system's accelerator (the compute model's own calibration for it,
// or its built-in default), with the all-to-all on place compare's H200-class topology.
const char* const kMoeTimeSystem = "hgx-h200";

QSpinBox* spin(QWidget* parent, int lo, int hi, int value) {
  auto* s = new QSpinBox(parent);
  s->setRange(lo, hi);
  s->setValue(value);
  return s;
}

QTableWidgetItem* number_item(double v, const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setData(Qt::UserRole, v);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

QString ratio_text(double v) {
  return std::isfinite(v) ? QString::number(v, 'f', 3) : QString("-");
}

} // namespace

PlacementView::PlacementView(Session& session, QWidget* parent)
    : QWidget(parent), session_(session), trace_(new QLineEdit(this)), strategy_(new QComboBox(this)),
      nodes_(spin(this, 1, 64, 2)), gpus_per_node_(spin(this, 1, 64, 8)), redundant_(spin(this, 0, 64, 0)),
      layer_(spin(this, 0, 0, 0)), compare_(new QPushButton("Compare strategies", this)),
      cancel_(new QPushButton("Cancel", this)), progress_(new QProgressBar(this)), status_(new QLabel(this)),
      slots_(new SlotMap(this)), table_(new QTableWidget(this)) {
  fit_pool_.setMaxThreadCount(1);
  compare_pool_.setMaxThreadCount(1);
  auto* layout = new QVBoxLayout(this);
  auto* inputs = new QHBoxLayout;
  auto* browse = new QPushButton("Trace...", this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString p = QFileDialog::getOpenFileName(this, "Routing trace", trace_->text());
    if (!p.isEmpty()) set_trace(p);
  });
  inputs->addWidget(browse);
  inputs->addWidget(trace_, 1);
  for (const auto& name : placement::placement_strategy_names())
    strategy_->addItem(QString::fromStdString(name));
  const std::pair<const char*, QWidget*> fields[] = {{"strategy", strategy_},
                                                     {"nodes", nodes_},
                                                     {"GPUs per node", gpus_per_node_},
                                                     {"redundant slots per GPU", redundant_},
                                                     {"layer", layer_}};
  for (auto [label, w] : fields) {
    inputs->addWidget(new QLabel(label, this));
    inputs->addWidget(w);
  }
  layout->addLayout(inputs);
  auto* bar = export_bar(slots_, table_); // the map as PNG / SVG / PDF, the table as CSV
  int at = 0;
  for (QWidget* w : std::initializer_list<QWidget*>{compare_, cancel_, progress_})
    bar->insertWidget(at++, w);
  cancel_->setEnabled(false);
  layout->addLayout(bar);
  status_->setWordWrap(true);
  layout->addWidget(status_);
  layout->addWidget(slots_, 3);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(table_, 2);

  trace_->setText(QString::fromStdString(session_.data_root() + kBundledTrace));
  connect(trace_, &QLineEdit::editingFinished, this, &PlacementView::changed);
  connect(strategy_, &QComboBox::currentTextChanged, this, &PlacementView::changed);
  for (QSpinBox* s : {nodes_, gpus_per_node_, redundant_})
    connect(s, &QSpinBox::valueChanged, this, &PlacementView::changed);
  connect(layer_, &QSpinBox::valueChanged, this, &PlacementView::redraw_map);
  connect(compare_, &QPushButton::clicked, this, &PlacementView::compare);
  connect(cancel_, &QPushButton::clicked, this, &PlacementView::cancel);
}

PlacementView::~PlacementView() {
  cancel_requested_ = true;
  compare_pool_.waitForDone();
  fit_pool_.waitForDone();
}

void PlacementView::show_evaluation(std::shared_ptr<const Evaluation> e) {
  const Scenario& s = e->scenario.scenario;
  const bool traced = s.routing.kind == RoutingKind::trace && !s.routing.trace_file.empty();
  const std::string key = traced ? s.routing.trace_file + "|" + std::to_string(e->scenario.deployment.nodes) + "|" +
                                       std::to_string(e->scenario.deployment.gpus_per_node) + "|" + s.placement.strategy
                                 : "|" + s.placement.strategy;
  if (key == applied_scenario_) return;
  applied_scenario_ = key;
  updating_ = true; // one fit for the whole change
  trace_->setText(QString::fromStdString(traced ? s.routing.trace_file : session_.data_root() + kBundledTrace));
  if (traced)
    set_topology(static_cast<int>(e->scenario.deployment.nodes), static_cast<int>(e->scenario.deployment.gpus_per_node),
                 redundant_->value());
  set_strategy(QString::fromStdString(s.placement.strategy));
  updating_ = false;
  changed();
}

void PlacementView::set_trace(const QString& path) {
  trace_->setText(path);
  changed();
}

void PlacementView::set_strategy(const QString& strategy) {
  strategy_->setCurrentText(strategy);
}

void PlacementView::set_topology(int nodes, int gpus_per_node, int redundant_slots) {
  const bool outer = updating_;
  updating_ = true;
  nodes_->setValue(nodes);
  gpus_per_node_->setValue(gpus_per_node);
  redundant_->setValue(redundant_slots);
  updating_ = outer;
  changed();
}

void PlacementView::set_layer(int layer) {
  layer_->setValue(layer);
}

QString PlacementView::trace() const {
  return trace_->text();
}

QString PlacementView::strategy() const {
  return strategy_->currentText();
}

int PlacementView::layer() const {
  return layer_->value();
}

QString PlacementView::message() const {
  return fit_error_;
}

QString PlacementView::compare_state() const {
  return compare_state_;
}

PlacementView::Inputs PlacementView::inputs() const {
  return {trace_->text().toStdString(), strategy_->currentText().toStdString(), nodes_->value(),
          gpus_per_node_->value(), redundant_->value()};
}

void PlacementView::changed() {
  if (updating_) return;
  dirty_ = true;
  if (isVisible()) refresh();
}

void PlacementView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) refresh();
}

void PlacementView::refresh() {
  dirty_ = false;
  ++fit_generation_;
  if (!fitting_) start_fit(fit_generation_); // else the fit in flight starts the newest when it is done
}

void PlacementView::start_fit(std::uint64_t generation) {
  fitting_ = true;
  status_->setText("fitting " + strategy_->currentText() + "...");
  fit_pool_.start([this, in = inputs(), generation] {
    auto map = std::make_shared<PlacementMap>();
    const QString error = study_error([&] {
      const trace::ExpertTrace tr = import_expert_trace(in.trace);
      *map = placement_map(fit_placement(tr, in.strategy, in.nodes, in.gpus_per_node, in.redundant), tr);
    });
    QMetaObject::invokeMethod(
        this,
        [this, map, error, generation] {
          fitting_ = false;
          if (generation != fit_generation_) return start_fit(fit_generation_);
          map_ = error.isEmpty() ? std::move(*map) : PlacementMap{};
          fit_error_ = error;
          layer_->setRange(0, std::max(0, static_cast<int>(map_.layers.size()) - 1));
          redraw_map();
          Q_EMIT plan_shown();
        },
        Qt::QueuedConnection);
  });
}

void PlacementView::redraw_map() {
  if (!fit_error_.isEmpty() || map_.layers.empty()) {
    slots_->set_grid("", "", {}, {}, 0, 0, 0);
    status_->setText(fit_error_);
    return;
  }
  const int l = std::min(layer_->value(), static_cast<int>(map_.layers.size()) - 1);
  const PlacementLayerMap& lm = map_.layers[static_cast<std::size_t>(l)];
  std::vector<SlotCell> cells;
  cells.reserve(lm.slots.size());
  for (const PlacementSlot& s : lm.slots)
    cells.push_back({s.tokens, s.expert, s.replicas > 1});
  const int gpus = map_.nodes * map_.gpus_per_node;
  const int model_layer = l < static_cast<int>(map_.moe_layer_ids.size()) ? map_.moe_layer_ids[std::size_t(l)] : l;
  slots_->set_grid(
      QString("%1: layer slot %2 (model layer %3), %4 nodes x %5 GPUs, %6 slots per GPU")
          .arg(QString::fromStdString(map_.strategy))
          .arg(l)
          .arg(model_layer)
          .arg(map_.nodes)
          .arg(map_.gpus_per_node)
          .arg(map_.slots_per_gpu),
      QString("tokens per GPU: max %1, mean %2, max/mean %3; colour: tokens per slot; orange corner: replicated expert")
          .arg(lm.gpu_tokens_max, 0, 'f', 0)
          .arg(lm.gpu_tokens_mean, 0, 'f', 1)
          .arg(lm.gpu_max_over_mean(), 0, 'f', 3),
      std::move(cells), lm.gpu_tokens, gpus, map_.slots_per_gpu, map_.gpus_per_node);
  status_->setText(
      QString("%1 experts in %2 MoE layers; the numbers are expert ids").arg(map_.experts).arg(map_.layers.size()));
}

void PlacementView::compare() {
  if (comparing_) return;
  comparing_ = true;
  cancel_requested_ = false;
  compare_state_ = "running";
  compare_->setEnabled(false);
  cancel_->setEnabled(true);
  progress_->setRange(0, 0);
  PlacementStudy study;
  study.trace_path = trace_->text().toStdString();
  study.redundant = redundant_->value();
  study.config.topology.nodes = nodes_->value();
  study.config.topology.gpus_per_node = gpus_per_node_->value();
  study.moe_time_system = kMoeTimeSystem;
  study.config.progress = [this](std::size_t done, std::size_t total) {
    if (cancel_requested_) throw Cancelled{};
    QMetaObject::invokeMethod(
        progress_,
        [this, done, total] {
          progress_->setRange(0, static_cast<int>(total));
          progress_->setValue(static_cast<int>(done));
        },
        Qt::QueuedConnection);
  };
  compare_pool_.start([this, study] {
    auto rows = std::make_shared<std::vector<PlacementComparisonRow>>();
    QString state = "done";
    try {
      state = study_error([&] { *rows = placement_comparison_rows(run_placement_study(study, &session_)); });
      if (state.isEmpty()) state = "done";
    } catch (const Cancelled&) {
      state = "cancelled";
    }
    QMetaObject::invokeMethod(
        this,
        [this, rows, state] {
          comparing_ = false;
          compare_state_ = state;
          compare_->setEnabled(true);
          cancel_->setEnabled(false);
          progress_->setRange(0, 1);
          progress_->setValue(state == "done" ? 1 : 0);
          if (state == "done") {
            rows_ = std::move(*rows);
            redraw_table();
          } else {
            status_->setText("comparison " + state);
          }
          Q_EMIT compared();
        },
        Qt::QueuedConnection);
  });
}

void PlacementView::cancel() {
  cancel_requested_ = true;
}

void PlacementView::redraw_table() {
  table_->clear();
  const QStringList header = {"split",
                              "strategy",
                              "redundant / GPU",
                              "inter-node pairs / linear",
                              "node-dedup bytes / linear",
                              "busiest link / linear",
                              "node-dedup bytes",
                              "busiest link bytes",
                              "GPU max/mean",
                              "tokens/node max/mean",
                              "requests/node max/mean",
                              "MoE layer / linear",
                              "fit s"};
  table_->setColumnCount(static_cast<int>(header.size()));
  table_->setHorizontalHeaderLabels(header);
  table_->setRowCount(static_cast<int>(rows_.size()));
  for (int i = 0; i < static_cast<int>(rows_.size()); ++i) {
    const PlacementComparisonRow& r = rows_[static_cast<std::size_t>(i)];
    table_->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(r.split)));
    table_->setItem(i, 1, new QTableWidgetItem(QString::fromStdString(r.strategy)));
    table_->setItem(i, 2, number_item(r.redundant_slots, QString::number(r.redundant_slots)));
    table_->setItem(i, 3, number_item(r.inter_node_pairs_ratio, ratio_text(r.inter_node_pairs_ratio)));
    table_->setItem(i, 4, number_item(r.dedup_bytes_ratio, ratio_text(r.dedup_bytes_ratio)));
    table_->setItem(i, 5, number_item(r.busiest_link_ratio, ratio_text(r.busiest_link_ratio)));
    table_->setItem(i, 6, number_item(r.dedup_bytes, QString::fromStdString(format_bytes(r.dedup_bytes))));
    table_->setItem(i, 7,
                    number_item(r.busiest_link_bytes, QString::fromStdString(format_bytes(r.busiest_link_bytes))));
    table_->setItem(i, 8, number_item(r.gpu_max_over_mean, ratio_text(r.gpu_max_over_mean)));
    table_->setItem(i, 9, number_item(r.tokens_per_node_max_over_mean, ratio_text(r.tokens_per_node_max_over_mean)));
    table_->setItem(i, 10,
                    number_item(r.requests_per_node_max_over_mean, ratio_text(r.requests_per_node_max_over_mean)));
    table_->setItem(i, 11, number_item(r.moe_layer_ratio, ratio_text(r.moe_layer_ratio)));
    table_->setItem(i, 12, number_item(r.fit_seconds, QString::number(r.fit_seconds, 'f', 3)));
  }
  table_->resizeColumnsToContents();
  const placement::ExperimentConfig defaults;
  status_->setText(QString("held-out comparison on %1 x %2 GPUs: ratios to linear without redundant slots, summed "
                           "over %3 folds of %4 % held-out requests; MoE layer: routed experts on the slowest GPU "
                           "(compute model, %5) + DeepEP normal all-to-all")
                       .arg(nodes_->value())
                       .arg(gpus_per_node_->value())
                       .arg(defaults.folds)
                       .arg(100 * defaults.test_fraction)
                       .arg(kMoeTimeSystem));
}

} // namespace moescope::gui
