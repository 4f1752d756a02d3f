// MoE dispatch / combine, the entry points: the kernel registry (kernels register themselves from their own
// kernel_*.cpp files), the payload of a row, and trace-driven evaluation. The expected-value mode is in
// dispatch_expected.cpp, link loads and phase costs in dispatch_link_costs.cpp, replica choice and the per-copy
// (direct send) routing in dispatch_per_copy.cpp. See docs/network-model.md.
#include "network/dispatch.hpp"

#include <algorithm>

#include "network/dispatch_link_costs.hpp"

namespace moescope {

const std::vector<std::unique_ptr<DispatchKernel>>& dispatch_kernels() {
  return Registry<DispatchKernel>::entries();
}

const DispatchKernel* find_dispatch_kernel(const std::string& name) {
  return Registry<DispatchKernel>::find(name);
}

std::vector<std::string> dispatch_kernel_names() {
  return Registry<DispatchKernel>::names();
}

DispatchPayload DispatchPayload::from_dtypes(std::int64_t hidden, DataType dispatch, DataType combine,
                                             double metadata_bytes) {
  DispatchPayload p;
  const auto h = static_cast<double>(hidden);
  p.dispatch_bytes_per_token = h * (bytes_per_element(dispatch) + scale_bytes_per_element(dispatch)) + metadata_bytes;
  p.combine_bytes_per_token = h * (bytes_per_element(combine) + scale_bytes_per_element(combine));
  return p;
}

const DispatchResult& evaluate_dispatch(const DispatchKernel& kernel, const Topology& topo, const Placement& placement,
                                        const TokenRouting& routing, const DispatchPayload& payload,
                                        const KernelCosts& costs, const DispatchOptions& options,
                                        DispatchWorkspace& ws) {
  dispatch_detail::check_inputs(topo, placement);
  dispatch_detail::check_matrix_size(topo);
  dispatch_detail::reset(ws.result, topo.num_gpus(), false);
  ws.router.reset(placement, topo.gpus_per_node(), options.replica_rule);
  kernel.route(topo, placement, routing, options, ws);
  {
    std::vector<double>& per_src = ws.source_tokens;
    per_src.assign(static_cast<std::size_t>(topo.num_gpus()), 0.0);
    for (std::int32_t src : routing.source_gpu)
      per_src[static_cast<std::size_t>(src)] += 1.0;
    ws.result.max_source_tokens_per_gpu = 0.0;
    for (double x : per_src)
      ws.result.max_source_tokens_per_gpu = std::max(ws.result.max_source_tokens_per_gpu, x);
  }
  dispatch_detail::finalize(topo, payload, costs, ws.result, false);
  return ws.result;
}

} // namespace moescope
