// A plain NCCL all-to-all (e.g. Megatron's all-to-all token dispatcher): tokens permuted by expert, one row per
// token-expert pair sent straight to the GPU of the expert (NVLink inside a node, the NICs between nodes); one
// message per destination GPU; no deduplication or forwarding.
#include "network/dispatch.hpp"

namespace moescope {

namespace {

class NcclAllToAllKernel : public DispatchKernel {
public:
  std::string name() const override { return "nccl-all-to-all"; }
  std::string description() const override {
    return "NCCL all-to-all: one row per token-expert pair, sent directly, one message per destination GPU";
  }
  void route(const Topology& topo, const Placement& p, const TokenRouting& routing, const DispatchOptions& o,
             DispatchWorkspace& ws) const override {
    dispatch_detail::route_per_copy(topo, p, routing, o, ws, false);
    ws.result.padded_rows_per_gpu = ws.result.received_rows_per_gpu;
  }
  void route_expected(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                      const DispatchOptions& o, DispatchResult& r) const override {
    dispatch_detail::route_per_copy_expected(topo, p, sources, o, r, false);
    r.padded_rows_per_gpu = r.received_rows_per_gpu;
  }
  bool route_expected_sums(const Topology& topo, const Placement& p, const SourceClass& c, const DispatchOptions&,
                           DispatchResult& r, dispatch_detail::ExpectedSums& sums) const override {
    dispatch_detail::route_per_copy_sums(topo, p, c, r, sums, false);
    r.padded_rows_per_gpu = r.received_rows_per_gpu;
    return true;
  }
};

// Self-registration (util/registry.hpp): nothing else names this kernel.
const Registrar<DispatchKernel> registered{30, [] { return std::make_unique<NcclAllToAllKernel>(); }};

} // namespace

} // namespace moescope
