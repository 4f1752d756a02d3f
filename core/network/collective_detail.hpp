#pragma once
// Internal to the collective algorithms (collective_*.cpp): what several of them share.
#include "network/collective.hpp"
#include "util/registry.hpp"

namespace moescope {

// Bus bandwidth of a flat ring or tree: the scale-up port inside a node; across nodes also the node's ranks_per_node
// NICs. Defined in collective_ring.cpp.
double ring_bandwidth(const CollectiveContext& c);
// Latency of `passes` passes around a ring of c.ranks ranks (NVLink hops inside nodes, network hops between them).
double ring_latency(const CollectiveContext& c, double passes, NcclProtocol p, bool tree);

} // namespace moescope
