// DeepEP low-latency kernels: each token is written directly (one put per token-expert pair) into the receive
// buffer of every GPU that holds one of its experts: NVLink inside a node where allowed, RDMA otherwise; no
// deduplication, no forwarding. Receive buffers hold max_tokens_per_rank rows per source rank and local expert.
#include <algorithm>

#include "network/dispatch.hpp"

namespace moescope {

namespace {

void pad(const Topology& topo, const Placement& p, const DispatchOptions& o, double max_tokens, DispatchResult& r) {
  const double per_rank = o.max_tokens_per_rank > 0 ? o.max_tokens_per_rank : max_tokens;
  std::vector<double> slots(static_cast<std::size_t>(topo.num_gpus()), 0.0);
  for (std::int32_t g : p.replica_gpus)
    slots[static_cast<std::size_t>(g)] += 1.0;
  for (std::size_t d = 0; d < slots.size(); ++d)
    r.padded_rows_per_gpu[d] = slots[d] * per_rank * p.num_gpus;
}

class DeepEpLowLatencyKernel : public DispatchKernel {
public:
  std::string name() const override { return "deepep-low-latency"; }
  std::string description() const override {
    return "DeepEP low-latency: one direct put per token-expert pair, receive buffers padded to the max tokens per "
           "rank";
  }
  void route(const Topology& topo, const Placement& p, const TokenRouting& routing, const DispatchOptions& o,
             DispatchWorkspace& ws) const override {
    dispatch_detail::route_per_copy(topo, p, routing, o, ws, true);
    std::vector<double> per_src(static_cast<std::size_t>(topo.num_gpus()), 0.0);
    for (std::int32_t s : routing.source_gpu)
      per_src[static_cast<std::size_t>(s)] += 1.0;
    pad(topo, p, o, *std::max_element(per_src.begin(), per_src.end()), ws.result);
  }
  void route_expected(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                      const DispatchOptions& o, DispatchResult& r) const override {
    dispatch_detail::route_per_copy_expected(topo, p, sources, o, r, true);
    double max_tokens = 0.0;
    for (const auto& c : sources)
      max_tokens = std::max(max_tokens, c.tokens_per_gpu);
    pad(topo, p, o, max_tokens, r);
  }
  bool route_expected_sums(const Topology& topo, const Placement& p, const SourceClass& c, const DispatchOptions& o,
                           DispatchResult& r, dispatch_detail::ExpectedSums& sums) const override {
    dispatch_detail::route_per_copy_sums(topo, p, c, r, sums, true);
    pad(topo, p, o, c.tokens_per_gpu, r);
    return true;
  }
};

// Self-registration (util/registry.hpp): nothing else names this kernel.
const Registrar<DispatchKernel> registered{20, [] { return std::make_unique<DeepEpLowLatencyKernel>(); }};

} // namespace

} // namespace moescope
