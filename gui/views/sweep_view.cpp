#include "views/sweep_view.hpp"

#include <QAreaSeries>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>

#include "charts/chart_adapter.hpp"
#include "charts/export.hpp"

namespace moescope::gui {

namespace {

struct Cancelled {}; // thrown from the progress callback: run_sweep stops after the chunks in flight

const char* const kX = "latency_seconds";      // TPOT for decode scenarios, TTFT for prefill ones
const char* const kY = "tokens_per_s_per_gpu"; // decode output or prefill input tokens

} // namespace

SweepView::SweepView(ScenarioDocument& document, Session& session, QWidget* parent)
    : QWidget(parent), document_(document), session_(session), slo_ms_(new QDoubleSpinBox(this)),
      run_(new QPushButton("Run", this)), cancel_(new QPushButton("Cancel", this)), progress_(new QProgressBar(this)),
      status_(new QLabel(this)), view_(make_chart_view("Sweep: throughput per GPU against latency", this)) {
  auto* layout = new QVBoxLayout(this);
  auto* grid = new QGridLayout;
  grid->addWidget(new QLabel("axis (JSON pointer)", this), 0, 0);
  grid->addWidget(new QLabel("values (comma-separated)", this), 0, 1);
  for (int i = 0; i < 2; ++i) {
    paths_[i] = new QLineEdit(this);
    values_[i] = new QLineEdit(this);
    grid->addWidget(paths_[i], i + 1, 0);
    grid->addWidget(values_[i], i + 1, 1);
  }
  set_axis(0, "/workload/batch_per_gpu", "8, 16, 32, 64, 96, 128, 192, 256");
  set_axis(1, "/deployment/nodes", "2, 4, 8, 16");
  layout->addLayout(grid);
  auto* bar = export_bar(view_);
  slo_ms_->setRange(0.1, 100000);
  slo_ms_->setValue(50);
  slo_ms_->setSuffix(" ms latency SLO");
  for (QWidget* w : std::initializer_list<QWidget*>{run_, cancel_, progress_, slo_ms_})
    bar->insertWidget(bar->count() - 3, w);
  cancel_->setEnabled(false);
  connect(run_, &QPushButton::clicked, this, &SweepView::run);
  connect(cancel_, &QPushButton::clicked, this, &SweepView::cancel);
  connect(slo_ms_, &QDoubleSpinBox::valueChanged, this, &SweepView::redraw);
  layout->addLayout(bar);
  layout->addWidget(status_);
  layout->addWidget(view_, 1);
}

SweepView::~SweepView() {
  cancel_requested_ = true;
  if (worker_.joinable()) worker_.join();
}

void SweepView::set_axis(int row, const QString& pointer, const QString& values) {
  paths_[row]->setText(pointer);
  values_[row]->setText(values);
}

SweepSpec SweepView::spec() const {
  SweepSpec s;
  s.file = "<sweep view>";
  s.base_file = document_.path().toStdString();
  s.base = document_.json();
  s.pareto = {{kY, true}, {kX, false}};
  for (int i = 0; i < 2; ++i) {
    const QString path = paths_[i]->text().trimmed();
    if (path.isEmpty()) continue;
    SweepAxis axis;
    axis.paths = {path.toStdString()};
    for (const QString& v : values_[i]->text().split(',', Qt::SkipEmptyParts)) {
      const std::string t = v.trimmed().toStdString();
      const Json parsed = Json::parse(t, nullptr, /*allow_exceptions=*/false);
      axis.values.push_back({parsed.is_discarded() ? Json(t) : parsed});
    }
    if (!axis.values.empty()) s.axes.push_back(std::move(axis));
  }
  return s;
}

void SweepView::run() {
  if (running()) return;
  if (worker_.joinable()) worker_.join();
  spec_ = spec();
  cancel_requested_ = false;
  done_ = false;
  state_ = "running";
  status_->setText(QString("running %1 points...").arg(spec_.num_points()));
  progress_->setRange(0, static_cast<int>(spec_.num_points()));
  progress_->setValue(0);
  run_->setEnabled(false);
  cancel_->setEnabled(true);
  worker_ = std::thread([this, spec = spec_] {
    auto result = std::make_shared<SweepResult>();
    QString state = "done";
    try {
      *result = run_sweep(spec, session_, [this](std::size_t done, std::size_t) {
        if (cancel_requested_) throw Cancelled{};
        QMetaObject::invokeMethod(
            progress_, [this, done] { progress_->setValue(static_cast<int>(done)); }, Qt::QueuedConnection);
      });
    } catch (const Cancelled&) {
      state = "cancelled";
    } catch (const InputError& e) {
      state = QString::fromStdString(e.diagnostics().to_string());
    } catch (const std::exception& e) {
      state = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        this, [this, result, state] { on_finished(result, state); }, Qt::QueuedConnection);
  });
}

void SweepView::cancel() {
  cancel_requested_ = true;
}

QString SweepView::state() const {
  return state_;
}

void SweepView::on_finished(std::shared_ptr<SweepResult> result, QString state) {
  worker_.join();
  done_ = true;
  state_ = state;
  run_->setEnabled(true);
  cancel_->setEnabled(false);
  if (state == "done") {
    result_ = std::move(*result);
    progress_->setValue(progress_->maximum());
    status_->setText(QString("%1 points in %2 s on %3 threads; click a point to load it")
                         .arg(result_.points.size())
                         .arg(result_.elapsed_seconds, 0, 'f', 2)
                         .arg(result_.threads));
    redraw();
  } else {
    status_->setText("sweep " + state);
  }
  Q_EMIT finished();
}

void SweepView::load_point(std::size_t index) {
  document_.replace(sweep_point_json(spec_, index));
}

void SweepView::redraw() {
  clear_chart(view_);
  points_ = front_ = nullptr;
  shown_.clear();
  if (result_.points.empty()) return;
  QChart* chart = view_->chart();
  chart->addAxis(value_axis("latency (ms): TPOT, or TTFT for prefill"), Qt::AlignBottom);
  chart->addAxis(value_axis("tokens/s per GPU"), Qt::AlignLeft);
  points_ = new QScatterSeries;
  points_->setName("sweep points");
  points_->setMarkerSize(8);
  front_ = new QScatterSeries;
  front_->setName("Pareto front");
  front_->setColor(QColor("#d62728"));
  front_->setMarkerSize(11);
  auto* front_line = new QLineSeries;
  front_line->setName("front");
  front_line->setPen(QPen(QColor("#d62728"), 2));
  double xmax = 0, ymax = 0;
  std::vector<QPointF> front_points;
  for (const SweepPoint& p : result_.points) {
    if (!p.ok || !p.metrics.count(kX) || !p.metrics.count(kY)) continue;
    const QPointF at(1e3 * p.metrics.at(kX), p.metrics.at(kY));
    points_->append(at);
    shown_.push_back(p.index);
    if (p.pareto) front_points.push_back(at);
    xmax = std::max(xmax, at.x());
    ymax = std::max(ymax, at.y());
  }
  std::sort(front_points.begin(), front_points.end(), [](auto& a, auto& b) { return a.x() < b.x(); });
  for (const QPointF& at : front_points) {
    front_->append(at);
    front_line->append(at);
  }
  // The compliant region: latency at most the SLO, shaded; its edge is the SLO line.
  const double slo = slo_ms_->value();
  auto* upper = new QLineSeries;
  upper->append(0, 1.1 * ymax);
  upper->append(std::min(slo, 1.1 * xmax), 1.1 * ymax);
  auto* region = new QAreaSeries(upper);
  upper->setParent(region); // an area series does not own its boundary series (LeakSanitizer found this one)
  region->setName(QString("latency <= %1 ms").arg(slo));
  region->setColor(QColor(44, 160, 44, 50));
  region->setBorderColor(QColor("#2ca02c"));
  attach(view_, region);
  attach(view_, front_line);
  attach(view_, points_);
  attach(view_, front_);
  chart->axes(Qt::Horizontal).first()->setRange(0, 1.1 * xmax);
  chart->axes(Qt::Vertical).first()->setRange(0, 1.1 * ymax);
  connect(points_, &QScatterSeries::clicked, this, [this](const QPointF& at) {
    const auto pts = points_->points();
    for (int i = 0; i < pts.size(); ++i)
      if (pts[i] == at) return load_point(shown_[static_cast<std::size_t>(i)]);
  });
}

} // namespace moescope::gui
