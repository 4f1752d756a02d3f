#pragma once
// The all-to-all traffic behind an evaluation: bytes of one MoE layer between every pair of GPUs and of nodes, for
// dispatch and combine, routed exactly as the evaluation's step model routed them (engine/moe_network.hpp).
#include "engine/moe_network.hpp"
#include "study/session.hpp"

namespace moescope {

// `phase`: prefill or decode (the evaluation has both). Throws InputError naming /model for a dense model, and on
// /deployment/nodes for more GPUs than the matrices are kept for.
TrafficMatrices traffic_matrices(const Evaluation& e, Phase phase);
Json traffic_matrices_to_json(const TrafficMatrices& m);

} // namespace moescope
