// Family "grouped_gemm": the expert GEMMs of one MoE layer on one GPU, as a loop of cuBLASLt matmuls, one per expert
// with its own token count (contiguous layout: each expert's tokens are consecutive rows of X). Per-expert counts are
// balanced or skewed (power law over the experts, expert 0 the hottest); experts with no tokens launch nothing. The
// whole loop is one timed call. Weights are distinct per expert (and rotated when all experts together fit in L2).
#include "bench_common.hpp"
#include "cublaslt_gemm.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <tuple>
#include <vector>

namespace mcb {
namespace {

struct ExpertShape {
  const char* model;
  const char* layer;
  int64_t n, k;
};

const ExpertShape kExpertShapes[] = {
    {"deepseek-v3", "expert_up_gate", 4096, 7168},       {"deepseek-v3", "expert_down", 7168, 2048},
    {"qwen3-235b-a22b", "expert_up_gate", 3072, 4096},   {"qwen3-235b-a22b", "expert_down", 4096, 1536},
    {"llama-4-maverick", "expert_up_gate", 16384, 5120}, {"llama-4-maverick", "expert_down", 5120, 8192},
};

constexpr double kPowerLawAlpha = 1.2;

// Splits `total` token-expert assignments over `experts`: balanced (differ by at most one) or proportional to
// (i + 1)^-alpha with largest-remainder rounding. Deterministic.
std::vector<int64_t> expert_counts(int64_t total, int experts, bool power_law) {
  std::vector<int64_t> c(static_cast<size_t>(experts), 0);
  if (!power_law) {
    for (int e = 0; e < experts; ++e)
      c[static_cast<size_t>(e)] = total / experts + (e < total % experts ? 1 : 0);
    return c;
  }
  std::vector<double> w(static_cast<size_t>(experts));
  for (int e = 0; e < experts; ++e)
    w[static_cast<size_t>(e)] = std::pow(e + 1.0, -kPowerLawAlpha);
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<std::pair<double, int>> rem;
  int64_t assigned = 0;
  for (int e = 0; e < experts; ++e) {
    const double ideal = static_cast<double>(total) * w[static_cast<size_t>(e)] / sum;
    c[static_cast<size_t>(e)] = static_cast<int64_t>(std::floor(ideal));
    assigned += c[static_cast<size_t>(e)];
    rem.emplace_back(ideal - std::floor(ideal), e);
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < total; ++i, ++assigned)
    ++c[static_cast<size_t>(rem[i % rem.size()].second)];
  return c;
}

} // namespace

void run_grouped_gemm(Suite& s) {
  const char* family = "grouped_gemm";
  const char* op = "cublaslt_expert_loop";
  const std::vector<int> expert_grid = s.opt.quick ? std::vector<int>{8} : std::vector<int>{8, 32};
  const std::vector<int64_t> token_grid =
      s.opt.quick ? std::vector<int64_t>{512, 8192} : std::vector<int64_t>{64, 512, 4096, 16384};
  const GemmDtype variants[] = {GemmDtype::bf16, GemmDtype::fp8, GemmDtype::fp8_block};
  const int64_t max_t = token_grid.back();

  LtSetup lt = make_lt_setup(s);
  // Heuristic results are cached per (variant, M, N, K): many cases share per-expert token counts.
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, std::unique_ptr<LtGemm>> cache;
  auto gemm_for = [&](GemmDtype v, int64_t m, int64_t n, int64_t k) -> const LtGemm& {
    auto key = std::make_tuple(static_cast<int>(v), m, n, k);
    auto it = cache.find(key);
    if (it == cache.end())
      it = cache.emplace(key, std::make_unique<LtGemm>(*lt.handle, v, m, n, k, lt.scales.get())).first;
    return *it->second;
  };

  const size_t l2 = static_cast<size_t>(std::max<long long>(s.dev.l2_bytes, 0));
  for (GemmDtype v : variants) {
    for (const ExpertShape& sh : kExpertShapes) {
      for (int experts : expert_grid) {
        if (s.aborted) return;
        const size_t eb = dtype_bytes(v);
        const size_t w_bytes = static_cast<size_t>(sh.n * sh.k) * eb; // one expert
        const size_t layer_bytes = w_bytes * static_cast<size_t>(experts);
        const size_t copies = l2 ? std::clamp<size_t>((3 * l2 + layer_bytes - 1) / layer_bytes, 1, 4) : 1;

        DeviceBuffer w, x, y;
        std::string shape_error = lt.setup_error;
        if (!s.opt.list_only && shape_error.empty()) {
          try {
            w = DeviceBuffer(layer_bytes * copies);
            x = DeviceBuffer(static_cast<size_t>(max_t * sh.k) * eb);
            y = DeviceBuffer(static_cast<size_t>(max_t * sh.n) * 2);
            fill_gemm_operand(v, w.get(), static_cast<size_t>(sh.n * sh.k) * experts * copies, 31, s.stream);
            fill_gemm_operand(v, x.get(), static_cast<size_t>(max_t * sh.k), 32, s.stream);
            MCB_CUDA(cudaStreamSynchronize(s.stream));
          } catch (const std::exception& e) {
            shape_error = std::string("allocation failed: ") + e.what();
            handle_case_failure(s);
          }
        }

        for (int64_t total : token_grid) {
          for (bool skewed : {false, true}) {
            const std::vector<int64_t> counts = expert_counts(total, experts, skewed);
            Json params = Json::object();
            params["groups"] = experts;
            params["m_per_group"] = Json::array_of(counts);
            params["total_m"] = total;
            params["n"] = sh.n;
            params["k"] = sh.k;
            params["dtype"] = dtype_name(v);
            params["scaling"] = scaling_name(v);
            params["output_dtype"] = "bf16";
            params["layout"] = "contiguous";
            params["distribution"] = skewed ? "power_law" : "balanced";
            if (skewed) params["power_law_alpha"] = kPowerLawAlpha;
            params["max_group_m"] = *std::max_element(counts.begin(), counts.end());
            params["active_groups"] =
                static_cast<int64_t>(std::count_if(counts.begin(), counts.end(), [](int64_t c) { return c > 0; }));
            params["model"] = sh.model;
            params["layer"] = sh.layer;
            if (s.opt.list_only) {
              list_case(s, family, op, params);
              continue;
            }
            params["weight_copies"] = copies;
            if (!shape_error.empty()) {
              if (!s.aborted) record_error(s, family, op, std::move(params), shape_error);
              continue;
            }
            run_case(s, family, op, std::move(params), [&](Json&) {
              struct Launch {
                const LtGemm* g;
                size_t w_off, x_off, y_off;
              };
              std::vector<Launch> launches;
              int64_t row = 0;
              int active = 0;
              for (int e = 0; e < experts; ++e) {
                const int64_t m = counts[static_cast<size_t>(e)];
                if (m == 0) continue;
                launches.push_back({&gemm_for(v, m, sh.n, sh.k), static_cast<size_t>(e) * w_bytes,
                                    static_cast<size_t>(row * sh.k) * eb, static_cast<size_t>(row * sh.n) * 2});
                row += m;
                ++active;
              }
              const char* wp = w.as<char>();
              const char* xp = x.as<char>();
              char* yp = y.as<char>();
              void* wsp = lt.workspace.get();
              cudaStream_t st = s.stream;
              TimingConfig cfg = s.opt.timing;
              cfg.max_inner = 16;
              cfg.min_inner = static_cast<int>(copies);
              Measured r;
              r.timing = time_on_stream(
                  st,
                  [&](int it) {
                    const size_t layer_off = (static_cast<size_t>(it) % copies) * layer_bytes;
                    for (const Launch& l : launches)
                      l.g->run(wp + layer_off + l.w_off, xp + l.x_off, yp + l.y_off, wsp, st);
                  },
                  cfg);
              const double flop =
                  2.0 * static_cast<double>(total) * static_cast<double>(sh.n) * static_cast<double>(sh.k);
              const double bytes = static_cast<double>(w_bytes) * active + static_cast<double>(total * sh.k * eb) +
                                   static_cast<double>(total * sh.n * 2);
              r.set_work(flop, bytes);
              return r;
            });
          }
        }
      }
    }
  }
}

} // namespace mcb
