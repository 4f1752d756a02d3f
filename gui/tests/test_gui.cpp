// The desktop explorer against the study facade: every view's data equals what the facade computes for the same
// scenario in the test, edits re-evaluate, bad input keeps the user's edits, and a saved file evaluates in the CLI to
// the numbers the GUI shows. One translation unit (QTest units compile slowly).
#include <QFile>
#include <QFileInfo>
#include <QListWidget>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QHorizontalBarSeries>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSlider>
#include <QStackedBarSeries>
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "charts/export.hpp"
#include "charts/gantt.hpp"
#include "charts/heatmap.hpp"
#include "charts/slot_map.hpp"
#include "headline_rows.hpp"
#include "main_window.hpp"
#include "screenshots.hpp"
#include "views/breakdown_view.hpp"
#include "views/editor_view.hpp"
#include "views/headline_view.hpp"
#include "views/placement_view.hpp"
#include "views/roofline_view.hpp"
#include "views/sensitivity_view.hpp"
#include "views/solve_view.hpp"
#include "views/sweep_view.hpp"
#include "views/timeline_view.hpp"
#include "views/traffic_view.hpp"
#include "views/validation_view.hpp"
#include "views/whatif_view.hpp"

Q_DECLARE_METATYPE(std::shared_ptr<const moescope::gui::Outcome>)

using namespace moescope;
using namespace moescope::gui;

namespace {

// The facade's evaluation of the window's current document, computed here independently of the GUI.
Evaluation facade(MainWindow& w) {
  Session s;
  return s.evaluate(s.read_scenario(w.document().json(), "<test>"));
}

// The strict reader's problems for the window's document, as the CLI reports them.
Diagnostics facade_problems(MainWindow& w) {
  Session s;
  try {
    s.evaluate(s.read_scenario(w.document().json(), "<editor>"));
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

// The CLI, from ctest's environment (a path on the compile line would make every clone's ccache miss this file).
QString cli_path() {
  return qEnvironmentVariable("MOESCOPE_CLI", "moescope");
}

// Runs the CLI with `args`; true when it exited 0, with its standard output in `out`.
bool run_cli(const QStringList& args, QByteArray* out = nullptr) {
  QProcess cli;
  cli.start(cli_path(), args);
  if (!cli.waitForFinished(60000) || cli.exitStatus() != QProcess::NormalExit || cli.exitCode() != 0) return false;
  if (out) *out = cli.readAllStandardOutput();
  return true;
}

QString read_text(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

void settle(MainWindow& w) {
  QVERIFY(wait_for_evaluation(w, 60000));
}

} // namespace

class TestGui : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true); // recent files go to a test location
    QCoreApplication::setOrganizationName("moescope-test");
  }

  void headline_equals_facade() {
    MainWindow w;
    settle(w);
    const Evaluation e = facade(w);
    const auto expected = headline_rows(e);
    QCOMPARE(w.headline()->rows().size(), expected.size());
    QCOMPARE(w.headline()->value("decode.tpot_seconds"), e.result.decode.tpot_seconds);
    QCOMPARE(w.headline()->value("prefill.ttft_seconds"), e.result.prefill.ttft_seconds);
    QCOMPARE(w.headline()->value("decode.tokens_per_s_per_gpu"), e.result.decode.tokens_per_s_per_gpu);
    QCOMPARE(w.headline()->value("decode.memory_total_bytes"), e.result.decode.memory_total_bytes);
    QCOMPARE(w.headline()->value("decode.scale_out_utilization"), e.result.decode.scale_out_utilization);
    for (int r = 0; r < w.headline()->table()->rowCount(); ++r)
      QCOMPARE(w.headline()->table()->item(r, 1)->data(Qt::UserRole).toDouble(), expected[r].value);
    QCOMPARE(w.headline()->notes()->count(), std::max<int>(1, engine_notes(e).size()));
  }

  void editing_a_field_reevaluates() {
    MainWindow w;
    settle(w);
    const double before = w.headline()->value("decode.tpot_seconds");
    w.editor()->enter("/workload/batch_per_gpu", "32");
    QCOMPARE(w.document().value("/workload/batch_per_gpu"), Json(32));
    settle(w);
    const Evaluation e = facade(w);
    QCOMPARE(w.headline()->value("decode.tpot_seconds"), e.result.decode.tpot_seconds);
    QVERIFY(w.headline()->value("decode.tpot_seconds") != before);
  }

  void pinned_baseline_shows_change() {
    MainWindow w;
    settle(w);
    w.headline()->pin_current();
    w.editor()->enter("/workload/batch_per_gpu", "64");
    settle(w);
    QCOMPARE(w.headline()->pinned_count(), 1);
    QCOMPARE(w.headline()->table()->columnCount(), 4);
    QVERIFY(!w.headline()->table()->item(0, 2)->text().isEmpty());
    for (int r = 0; r < w.headline()->table()->rowCount(); ++r)
      if (w.headline()->rows()[r].key == "decode.tpot_seconds")
        QVERIFY(w.headline()->table()->item(r, 3)->data(Qt::UserRole).toDouble() < 0); // half the batch: faster
  }

  void problems_show_inline_with_the_cli_message() {
    MainWindow w;
    settle(w);
    w.editor()->enter("/deployment/nodes", "0");
    w.editor()->enter("/workload/batch_per_gpu", "lots");
    settle(w);
    QVERIFY(!w.last_outcome()->evaluation);
    const Diagnostics expected = facade_problems(w);
    QVERIFY(!expected.empty());
    QStringList shown;
    for (const auto& d : expected.items()) {
      const std::string field =
          d.location.rfind("/workload/batch_per_gpu", 0) == 0 ? "/workload/batch_per_gpu" : "/deployment/nodes";
      QVERIFY2(w.editor()->field_error(field).contains(QString::fromStdString(d.to_string())), d.to_string().c_str());
    }
    QCOMPARE(w.document().value("/deployment/nodes"), Json(0)); // the edit is kept as typed
  }

  void malformed_file_keeps_the_edits() {
    MainWindow w;
    settle(w);
    w.editor()->enter("/workload/batch_per_gpu", "48");
    QTemporaryDir dir;
    const QString bad = dir.filePath("bad.json");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"model\": \"deepseek-v3\",\n  \"system\": }\n");
    f.close();
    const Json edited = w.document().json();
    QVERIFY(!w.open_file(bad));
    QCOMPARE(w.document().json(), edited);
    Diagnostics d;
    QVERIFY(!read_json_file(bad.toStdString(), d));
    QVERIFY2(w.banner().contains(cli_error_message(d)), qPrintable(w.banner() + "\n---\n" + cli_error_message(d)));
  }

  void undo_redo_and_merged_edits() {
    MainWindow w;
    const Json start = w.document().json();
    w.editor()->enter("/workload/batch_per_gpu", "64");
    w.editor()->enter("/deployment/nodes", "4");
    w.document().set("/deployment/nodes", Json(2), /*merge=*/true); // a second edit of the same field: one step
    w.document().undo();
    QCOMPARE(w.document().value("/deployment/nodes"), Json(8));
    QCOMPARE(w.editor()->field_text("/deployment/nodes"), QString("8"));
    w.document().undo();
    QCOMPARE(w.document().json(), start);
    QVERIFY(!w.document().can_undo());
    w.document().redo();
    QCOMPARE(w.document().value("/workload/batch_per_gpu"), Json(64));
  }

  void stale_results_are_dropped() {
    Session s;
    Evaluator ev(s);
    QSignalSpy spy(&ev, &Evaluator::evaluated);
    MainWindow w; // only for the default document
    Json a = w.document().json(), b = a;
    b["workload"]["batch_per_gpu"] = 16;
    ev.request(a, "a");
    ev.request(a, "a");
    const auto last = ev.request(b, "b");
    QTRY_VERIFY_WITH_TIMEOUT(ev.idle(), 60000);
    QCOMPARE(spy.count(), 1);
    const auto outcome = spy.at(0).at(0).value<std::shared_ptr<const Outcome>>();
    QCOMPARE(outcome->generation, last);
    QCOMPARE(outcome->scenario, b);
    QVERIFY(ev.dropped() >= 1);
  }

  void saved_file_evaluates_in_the_cli_to_the_shown_numbers() {
    MainWindow w;
    w.editor()->enter("/workload/batch_per_gpu", "96");
    settle(w);
    QTemporaryDir dir;
    const QString path = dir.filePath("saved.json");
    QVERIFY(w.save_to(path));
    QVERIFY(!w.document().modified());
    QByteArray out;
    QVERIFY(run_cli({"--json", "eval", path}, &out));
    const Json report = Json::parse(out.toStdString());
    const Json& summary = report.at("engine").at("summary");
    QCOMPARE(summary.at("tpot_seconds").get<double>(), w.headline()->value("decode.tpot_seconds"));
    QCOMPARE(summary.at("ttft_seconds").get<double>(), w.headline()->value("prefill.ttft_seconds"));
    QCOMPARE(summary.at("decode_tokens_per_s_per_gpu").get<double>(),
             w.headline()->value("decode.tokens_per_s_per_gpu"));
    QCOMPARE(summary.at("decode_memory_per_gpu_bytes").get<double>(), w.headline()->value("decode.memory_total_bytes"));
  }

  void exported_session_is_the_scenario_and_its_cli_report() {
    MainWindow w;
    w.editor()->enter("/workload/batch_per_gpu", "80");
    settle(w);
    QTemporaryDir dir;
    const QString path = dir.filePath("study.json");
    QVERIFY(w.export_session(path));
    QCOMPARE(Json::parse(read_text(path).toStdString()), w.document().json());
    QVERIFY(!read_text(dir.filePath("study.report.txt")).isEmpty());
    const QString report_path = dir.filePath("cli.report.json");
    QVERIFY(run_cli({"eval", path, "-o", report_path}));
    QCOMPARE(read_text(dir.filePath("study.report.json")), read_text(report_path));
    // A scenario with problems exports nothing and says why.
    w.editor()->enter("/workload/batch_per_gpu", "-1");
    settle(w);
    QVERIFY(!w.export_session(dir.filePath("bad.json")));
    QVERIFY(!QFileInfo::exists(dir.filePath("bad.json")));
    QVERIFY2(w.banner().contains("problems"), qPrintable(w.banner()));
  }

  void roofline_equals_facade() {
    MainWindow w;
    settle(w);
    w.tabs()->setCurrentWidget(w.roofline()); // chart tabs draw when shown
    const Roofline r = evaluation_roofline(facade(w));
    using Key = std::tuple<std::string, std::string, int, double, double, std::string>;
    std::vector<Key> expected, shown;
    std::set<RooflineLevel> levels;
    for (const auto& p : r.points)
      if (p.phase == Phase::decode) {
        expected.emplace_back(p.layer_type, p.name, int(p.level), p.flop_per_byte(), p.attained_flop_per_s(), p.bound);
        levels.insert(p.level);
      }
    w.roofline()->set_phase(Phase::decode);
    for (const auto& s : w.roofline()->plotted()) {
      const auto pts = s.series->points();
      QCOMPARE(std::size_t(pts.size()), s.points.size());
      for (int i = 0; i < pts.size(); ++i) {
        const auto& p = s.points[std::size_t(i)];
        QCOMPARE(pts[i].x(), p.flop_per_byte());
        QCOMPARE(pts[i].y(), p.attained_flop_per_s());
        shown.emplace_back(p.layer_type, p.name, int(p.level), p.flop_per_byte(), p.attained_flop_per_s(), p.bound);
      }
    }
    std::sort(expected.begin(), expected.end());
    std::sort(shown.begin(), shown.end());
    QVERIFY(expected == shown);
    QCOMPARE(levels.size(), std::size_t(3)); // 8 nodes: HBM, scale-up and scale-out points
  }

  void chart_exports_are_real_files() {
    MainWindow w;
    settle(w);
    w.tabs()->setCurrentWidget(w.roofline());
    QTemporaryDir dir;
    const QString svg = dir.filePath("roofline.svg"), pdf = dir.filePath("roofline.pdf");
    QVERIFY(save_svg(w.roofline(), svg));
    QVERIFY(save_pdf(w.roofline(), pdf));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.contains("<svg"));
    QVERIFY(text.contains("FLOP per byte")); // the axis title is drawn as text, not only as pixels
    QVERIFY(QFileInfo(pdf).size() > 1000);
  }

  void breakdown_equals_facade() {
    MainWindow w;
    settle(w);
    w.tabs()->setCurrentWidget(w.breakdown());
    const Evaluation e = facade(w);
    for (Phase phase : {Phase::decode, Phase::prefill}) {
      w.breakdown()->set_phase(phase);
      const PhaseResult& p = phase == Phase::decode ? e.result.decode : e.result.prefill;
      int nonzero = 0;
      for (const auto& c : engine_components())
        for (const auto& l : p.layers)
          nonzero += l.component_seconds.count(c) && l.component_seconds.at(c) > 0;
      int shown = 0;
      for (QBarSet* set : w.breakdown()->components()->barSets()) {
        QCOMPARE(set->count(), int(p.layers.size()));
        for (int j = 0; j < set->count(); ++j) {
          const auto& cs = p.layers[std::size_t(j)].component_seconds;
          const auto it = cs.find(set->label().toStdString());
          QCOMPARE(set->at(j), 1e6 * (it == cs.end() ? 0.0 : it->second));
          shown += set->at(j) > 0;
        }
      }
      QCOMPARE(shown, nonzero);
      const auto sets = w.breakdown()->overlaps()->barSets();
      QCOMPARE(sets.size(), 4);
      for (int j = 0; j < int(p.layers.size()); ++j) {
        const auto& l = p.layers[std::size_t(j)];
        QCOMPARE(sets[0]->at(j), 1e6 * l.serial_seconds);
        QCOMPARE(sets[1]->at(j), 1e6 * l.two_batch_seconds);
        QCOMPARE(sets[2]->at(j), 1e6 * l.two_batch_ideal_seconds);
        QCOMPARE(sets[3]->at(j), 1e6 * l.intra_layer_seconds);
      }
    }
  }

  void timeline_equals_facade() {
    MainWindow w;
    w.show(); // laid out: the hover test hits bars where they are drawn
    settle(w);
    QVERIFY(w.open_file(QString::fromStdString(w.session().data_root() + "/scenarios/sglang-decode-9x8-h100.json")));
    settle(w);
    w.tabs()->setCurrentWidget(w.breakdown());
    const Evaluation e = facade(w);
    TimelineView* v = w.breakdown()->timeline();
    for (Phase phase : {Phase::decode, Phase::prefill}) {
      w.breakdown()->set_phase(phase); // one phase choice for the tab
      QCOMPARE(v->phase(), phase);
      const TboTimeline t = tbo_timeline(e, phase);
      QVERIFY(t.configured);
      QVERIFY(!t.intervals.empty());
      const auto& bars = v->gantt()->bars();
      QCOMPARE(bars.size(), t.intervals.size());
      std::size_t widest = 0, stalls = 0;
      for (std::size_t i = 0; i < bars.size(); ++i) {
        const TboInterval& x = t.intervals[i];
        QCOMPARE(bars[i].start, 1e6 * x.start_seconds);
        QCOMPARE(bars[i].end, 1e6 * x.end_seconds);
        QCOMPARE(bars[i].lane, x.stream == TboStream::compute ? 0 : 1);
        QCOMPARE(bars[i].tooltip, TimelineView::tooltip(t, x));
        QCOMPARE(bars[i].pattern == Qt::BDiagPattern, x.kind == TboOpKind::stall);
        stalls += x.kind == TboOpKind::stall;
        if (bars[i].end - bars[i].start > bars[widest].end - bars[widest].start) widest = i;
      }
      QVERIFY(stalls > 0);
      QCOMPARE(v->gantt()->bar_at(v->gantt()->bar_rect(widest).center()), int(widest));
      QVERIFY(bars[widest].tooltip.contains("duration"));
      QVERIFY(v->summary().contains("compute stalls"));
    }
    QTemporaryDir dir;
    const QString svg = dir.filePath("timeline.svg");
    QVERIFY(save_svg(v->gantt(), svg));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("communication"));
    // A scenario without two-batch overlap: the same schedule, labelled as what two-batch overlap would do.
    QVERIFY(w.open_file(QString::fromStdString(w.session().data_root() + "/scenarios/default.json")));
    settle(w);
    QVERIFY(!v->timeline().configured);
    QVERIFY(v->summary().contains("what two-batch overlap would do"));
    QCOMPARE(v->gantt()->bars().size(), tbo_timeline(facade(w), v->phase()).intervals.size());
  }

  void whatif_slider_updates_the_headline() {
    MainWindow w;
    settle(w);
    const std::string hbm = "/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s";
    QSlider* slider = w.whatif()->slider(hbm);
    QVERIFY(slider);
    const Evaluation before = facade(w);
    QVERIFY(slider->toolTip().contains(
        QString::fromStdString(before.scenario.accelerator.hbm_bandwidth_bytes_per_s.source)));
    QCOMPARE(slider->value(), WhatIfView::kSteps / 2); // the hwdb value sits at the centre tick
    for (int pos : {600, 650, 700})                    // a drag: three edits, one undo step
      slider->setValue(pos);
    const Knob& knob = *std::find_if(w.whatif()->knobs().begin(), w.whatif()->knobs().end(),
                                     [&](const Knob& k) { return k.pointer == hbm; });
    QCOMPARE(w.document().value(hbm).get<double>(), WhatIfView::value_at(knob, 700));
    settle(w);
    const Evaluation after = facade(w);
    QCOMPARE(w.headline()->value("decode.tpot_seconds"), after.result.decode.tpot_seconds);
    QVERIFY(after.result.decode.tpot_seconds < before.result.decode.tpot_seconds); // more HBM bandwidth
    w.document().undo();
    QVERIFY(w.document().value(hbm).is_null());
    settle(w);
    QCOMPARE(slider->value(), WhatIfView::kSteps / 2);
    QCOMPARE(w.headline()->value("decode.tpot_seconds"), before.result.decode.tpot_seconds);
  }

  void traffic_equals_facade_and_follows_the_strategy() {
    MainWindow w;
    settle(w);
    w.tabs()->setCurrentWidget(w.traffic());
    for (const QString& direction : {QString("dispatch"), QString("combine")}) {
      w.traffic()->set_phase(Phase::decode);
      w.traffic()->set_direction(direction);
      const TrafficMatrices m = traffic_matrices(facade(w), Phase::decode);
      const bool d = direction == "dispatch";
      QVERIFY(w.traffic()->gpu_map()->values() == (d ? m.dispatch_gpu_bytes : m.combine_gpu_bytes));
      QVERIFY(w.traffic()->node_map()->values() == (d ? m.dispatch_node_bytes : m.combine_node_bytes));
      const auto [src, dst] = w.traffic()->gpu_map()->busiest();
      const auto& v = d ? m.dispatch_gpu_bytes : m.combine_gpu_bytes;
      for (int a = 0; a < m.gpus; ++a)
        for (int b = 0; b < m.gpus; ++b)
          if (a != b) QVERIFY(v[std::size_t(a * m.gpus + b)] <= v[std::size_t(src * m.gpus + dst)]);
    }
    QComboBox* strategy = w.traffic()->strategy();
    QVERIFY(strategy->count() > 1);
    const QString other = strategy->itemText(strategy->currentIndex() == 0 ? 1 : 0);
    strategy->setCurrentText(other);
    QCOMPARE(w.document().value("/placement/strategy"), Json(other.toStdString()));
    settle(w);
    if (w.last_outcome()->evaluation) {
      const TrafficMatrices m = traffic_matrices(facade(w), Phase::decode);
      QVERIFY(w.traffic()->gpu_map()->values() == m.combine_gpu_bytes);
    }
  }

  void sweep_equals_facade_loads_a_point_and_can_be_cancelled() {
    MainWindow w;
    settle(w);
    SweepView* sweep = w.sweep();
    sweep->set_axis(0, "/workload/batch_per_gpu", "32, 64, 128");
    sweep->set_axis(1, "/deployment/nodes", "4, 8");
    sweep->run();
    QTRY_VERIFY_WITH_TIMEOUT(!sweep->running(), 60000);
    QCOMPARE(sweep->state(), QString("done"));
    Session s;
    const SweepResult expected = run_sweep(sweep->spec(), s);
    QCOMPARE(sweep->result().points.size(), expected.points.size());
    QCOMPARE(sweep->result().pareto_front, expected.pareto_front);
    QCOMPARE(sweep->front()->count(), int(expected.pareto_front.size()));
    int ok = 0;
    for (const auto& p : expected.points)
      if (p.ok) {
        const QPointF at(1e3 * p.metrics.at("latency_seconds"), p.metrics.at("tokens_per_s_per_gpu"));
        QVERIFY(sweep->points()->points().contains(at));
        ++ok;
      }
    QCOMPARE(sweep->points()->count(), ok);
    sweep->load_point(3);
    QCOMPARE(w.document().json(), sweep_point_json(sweep->spec(), 3));
    w.document().undo(); // loading a point is an edit like any other

    QStringList many;
    for (int b = 1; b <= 200; ++b)
      many << QString::number(b);
    sweep->set_axis(0, "/workload/batch_per_gpu", many.join(","));
    sweep->set_axis(1, "/deployment/nodes", "1, 2, 4, 8");
    QElapsedTimer t;
    t.start();
    sweep->run();
    QVERIFY(sweep->running());
    sweep->cancel();
    QTRY_VERIFY_WITH_TIMEOUT(!sweep->running(), 60000);
    QCOMPARE(sweep->state(), QString("cancelled"));
    QVERIFY2(t.elapsed() < 5000, "a cancelled sweep stops after the chunks in flight");
  }

  void sensitivity_equals_facade() {
    MainWindow w;
    settle(w);
    QSignalSpy spy(w.sensitivity(), &SensitivityView::computed);
    w.sensitivity()->compute();
    QVERIFY(spy.wait(60000));
    Session s;
    const SensitivityResult expected = sensitivity(w.document().json(), "<editor>", 0.1, s);
    const std::string m = w.sensitivity()->metric().toStdString();
    QCOMPARE(w.sensitivity()->table()->rowCount(), int(expected.rows.size()));
    const auto sets = w.sensitivity()->series()->barSets();
    QCOMPARE(sets.size(), 2);
    const int n = int(expected.rows.size());
    for (int i = 0; i < n; ++i) {
      const auto& row = expected.rows[std::size_t(i)];
      QCOMPARE(w.sensitivity()->table()->item(i, 0)->text().toStdString(), row.parameter);
      QCOMPARE(w.sensitivity()->table()->item(i, 2)->data(Qt::UserRole).toDouble(), row.elasticity.at(m));
      // Bars run bottom-up: the first row is the last bar.
      QCOMPARE(sets[1]->at(n - 1 - i), 100 * (row.high.at(m) / expected.base.at(m) - 1));
      QCOMPARE(sets[0]->at(n - 1 - i), 100 * (row.low.at(m) / expected.base.at(m) - 1));
    }
  }

  void validation_equals_facade() {
    MainWindow w;
    ValidationView* v = w.validation();
    v->set_suite("aiconfigurator-h100-moe-decode.json");
    QSignalSpy spy(v, &ValidationView::finished);
    v->run();
    QVERIFY(spy.wait(60000));
    Session s;
    ValidationStudy study;
    study.suite_files = {s.data_root() + "/validation/suites/aiconfigurator-h100-moe-decode.json"};
    const Json expected = run_validation_study(s, study).json.at("suites").at(0);
    QCOMPARE(v->suite_result(), expected);
    std::map<std::string, QList<QPointF>> by_split;
    for (const Json& c : expected.at("cases"))
      by_split[c.at("split").get<std::string>()]
          << QPointF(c.at("measured").get<double>(), c.at("predicted").get<double>());
    for (const auto& [split, points] : by_split) {
      QScatterSeries* series = v->split_series(QString::fromStdString(split));
      QVERIFY(series);
      QCOMPARE(series->points(), points);
    }
    QVERIFY(v->summary().contains("MAPE"));
  }

  void placement_equals_facade_and_can_be_cancelled() {
    MainWindow w;
    settle(w);
    PlacementView* v = w.placement();
    QSignalSpy shown(v, &PlacementView::plan_shown);
    v->set_strategy("joint-minmax");
    v->set_topology(2, 8, 1);
    v->refresh();
    QVERIFY(shown.wait(60000));
    QVERIFY(v->message().isEmpty());
    Session s;
    const std::string path = s.data_root() + "/tests/data/traces/deepseek-v2-lite-chat-20.mst";
    QCOMPARE(v->trace().toStdString(), path);
    const trace::ExpertTrace tr = import_expert_trace(path);
    const PlacementMap expected = placement_map(fit_placement(tr, "joint-minmax", 2, 8, 1), tr);
    QCOMPARE(v->map().layers.size(), expected.layers.size());
    for (int l : {0, 7, int(expected.layers.size()) - 1}) {
      v->set_layer(l);
      const PlacementLayerMap& e = expected.layers[std::size_t(l)];
      SlotMap* m = v->slot_map();
      QCOMPARE(m->columns(), 16);
      QCOMPARE(m->rows(), 5);
      QCOMPARE(m->cells().size(), e.slots.size());
      for (std::size_t i = 0; i < e.slots.size(); ++i) {
        QCOMPARE(m->cells()[i].value, e.slots[i].tokens);
        QCOMPARE(m->cells()[i].label, e.slots[i].expert);
        QCOMPARE(m->cells()[i].marked, e.slots[i].replicas > 1);
      }
      QCOMPARE(m->totals(), e.gpu_tokens);
      QVERIFY(m->subtitle().contains(QString::number(e.gpu_max_over_mean(), 'f', 3)));
    }
    QSignalSpy compared(v, &PlacementView::compared);
    v->compare();
    QVERIFY(compared.wait(120000));
    QCOMPARE(v->compare_state(), QString("done"));
    PlacementStudy study;
    study.trace_path = path;
    study.redundant = 1;
    study.config.topology.nodes = 2;
    study.config.topology.gpus_per_node = 8;
    study.moe_time_system = "hgx-h200";
    Session session;
    const auto rows = placement_comparison_rows(run_placement_study(study, &session));
    QCOMPARE(v->table()->rowCount(), int(rows.size()));
    for (int i = 0; i < int(rows.size()); ++i) {
      const PlacementComparisonRow& r = rows[std::size_t(i)];
      QCOMPARE(v->table()->item(i, 1)->text().toStdString(), r.strategy);
      QCOMPARE(v->table()->item(i, 2)->data(Qt::UserRole).toInt(), r.redundant_slots);
      const double want[] = {r.inter_node_pairs_ratio,
                             r.dedup_bytes_ratio,
                             r.busiest_link_ratio,
                             r.dedup_bytes,
                             r.busiest_link_bytes,
                             r.gpu_max_over_mean,
                             r.tokens_per_node_max_over_mean,
                             r.requests_per_node_max_over_mean,
                             r.moe_layer_ratio};
      QVERIFY(r.moe_layer_seconds > 0);
      for (int c = 0; c < 9; ++c) {
        const double got = v->table()->item(i, 3 + c)->data(Qt::UserRole).toDouble();
        QVERIFY2(got == want[c] || (std::isnan(got) && std::isnan(want[c])),
                 qPrintable(QString("%1 %2").arg(i).arg(c)));
      }
    }
    QCOMPARE(int(table_csv(v->table()).count('\n')), int(rows.size()) + 1);
    v->compare();
    v->cancel();
    QVERIFY(compared.wait(120000));
    QCOMPARE(v->compare_state(), QString("cancelled"));
    QCOMPARE(v->table()->rowCount(), int(rows.size())); // the last complete table stays
  }

  void solve_equals_facade_and_says_a_bad_bracket() {
    MainWindow w;
    settle(w);
    SolveView* v = w.solve();
    QSignalSpy spy(v, &SolveView::solved);
    v->run(); // the defaults: the smallest scale-out bandwidth that meets TPOT <= 50 ms
    QVERIFY(spy.wait(60000));
    SolveSpec spec;
    spec.path = "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s";
    spec.metric = "tpot_seconds";
    spec.target = 0.05;
    spec.lo = 1e9;
    spec.hi = 1e12;
    Session s;
    const SolveResult expected = solve_scenario(w.document().json(), "<editor>", spec, s);
    QVERIFY(expected.bisection.found);
    QVERIFY2(v->error().isEmpty(), qPrintable(v->error()));
    QCOMPARE(v->result().bisection.value, expected.bisection.value);
    QCOMPARE(v->result().bisection.iterations, expected.bisection.iterations);
    QVERIFY(v->answer().contains(QString("%1 bisections").arg(expected.bisection.iterations)));
    QVERIFY(v->answer().contains("B/s"));
    QCOMPARE(v->curve()->count(), int(expected.points.size()));
    QCOMPARE(v->answer_marker()->at(0),
             QPointF(expected.bisection.value, expected.metrics_at_value.at("tpot_seconds")));
    QCOMPARE(v->target_line()->at(0).y(), 0.05);
    // A bracket that does not straddle the target: the facade's message, inline.
    spec.target = 1e-6;
    v->set_spec(spec);
    v->run();
    QVERIFY(spy.wait(60000));
    QVERIFY(!v->result().bisection.found);
    QCOMPARE(v->error().toStdString(), solve_scenario(w.document().json(), "<editor>", spec, s).bisection.message);
    QVERIFY(v->answer().isEmpty());
    // An unknown metric: the InputError's message.
    spec.metric = "tpot_secs";
    v->set_spec(spec);
    v->run();
    QVERIFY(spy.wait(60000));
    QVERIFY2(v->error().contains("unknown metric"), qPrintable(v->error()));
  }

  void screenshots_of_every_view() {
    MainWindow w;
    w.show();
    QTemporaryDir dir;
    const QStringList files = write_screenshots(w, dir.path());
    QCOMPARE(files.size(), w.tabs()->count() + 2); // and the headline panel, the two-batch timeline
    for (const QString& f : files)
      QVERIFY(QImage(f).width() > 100);
  }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
