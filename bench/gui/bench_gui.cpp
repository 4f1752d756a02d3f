// Desktop explorer latency (issue 14's targets, measured here rather than in timed tests):
// - slider to updated headline: a what-if slider moved on DeepSeek-V3 decode on 8 x 8 H100 (scenarios/default.json)
//   until the headline panel shows the new evaluation; target under 50 ms (includes the 10 ms edit debounce);
// - start-up to a drawn window: MainWindow built, shown, first evaluation shown and the window rendered; target
//   under 1 s (the QApplication is created once per process, before the timing).
// Run offscreen: QT_QPA_PLATFORM=offscreen bin/bench_gui
#include <QApplication>
#include <QSlider>
#include <benchmark/benchmark.h>

#include "main_window.hpp"
#include "screenshots.hpp"
#include "views/headline_view.hpp"
#include "views/whatif_view.hpp"

using namespace moescope::gui;

namespace {

const std::string kHbm = "/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s";

void BM_SliderToHeadline(benchmark::State& state) {
  MainWindow window;
  window.show();
  if (!wait_for_evaluation(window, 60000)) return state.SkipWithError("first evaluation did not finish");
  QSlider* slider = window.whatif()->slider(kHbm);
  if (!slider) return state.SkipWithError("no HBM slider");
  int position = 500;
  double evaluation_seconds = 0;
  for (auto _ : state) {
    position = position == 500 ? 520 : 500; // a new value every iteration
    const double before = window.headline()->value("decode.tpot_seconds");
    slider->setValue(position);
    if (!wait_for_evaluation(window, 60000)) return state.SkipWithError("evaluation did not finish");
    window.headline()->repaint(); // drawn, not only updated
    if (window.headline()->value("decode.tpot_seconds") == before) return state.SkipWithError("headline unchanged");
    evaluation_seconds += window.last_outcome()->seconds;
  }
  state.counters["evaluation_ms"] = benchmark::Counter(1e3 * evaluation_seconds / state.iterations());
}
BENCHMARK(BM_SliderToHeadline)->Unit(benchmark::kMillisecond)->Iterations(20)->UseRealTime();

void BM_StartupToDrawnWindow(benchmark::State& state) {
  for (auto _ : state) {
    MainWindow window;
    window.show();
    if (!wait_for_evaluation(window, 60000)) return state.SkipWithError("first evaluation did not finish");
    benchmark::DoNotOptimize(window.grab()); // renders every visible widget
  }
}
BENCHMARK(BM_StartupToDrawnWindow)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
