#pragma once
// K-means (k-means++ seeding, Lloyd iterations, restarts) on dense float rows; deterministic for a seed.
#include <cstdint>
#include <vector>

namespace moescope::placement {

struct KMeansResult {
  std::vector<std::int32_t> label; // per row
  std::vector<float> centroids;    // [k][dim]
  double inertia = 0.0;            // sum of squared distances to the centroids
};

// rows: [n][dim]. k <= n is not required (clusters without rows keep a zero centroid).
KMeansResult kmeans(const std::vector<float>& rows, std::size_t n, std::size_t dim, std::int32_t k, std::uint64_t seed,
                    int max_iterations = 25, int restarts = 3);

struct RoutingStats;
struct HomingPolicy;
// The paper's request clustering: K-means of the L2-normalised traffic (decode) vectors of the requests of `stats`
// that have traffic. `used` receives their indices (rows of the result).
KMeansResult cluster_requests(const RoutingStats& stats, std::int32_t k, std::uint64_t seed,
                              std::vector<std::size_t>& used);
// Nearest-centroid homing from a clustering (centroids in the normalised space).
HomingPolicy centroid_homing(const KMeansResult& km, std::int32_t k, std::size_t dim, double balance_cap);

// Utility of every (cluster, layer x expert): the cluster's selections in the traffic parts, [k][dim].
std::vector<double> cluster_utility(const RoutingStats& stats, const KMeansResult& km,
                                    const std::vector<std::size_t>& used, std::size_t k);
// The paper's placement of one layer: (cluster, expert) pairs in decreasing utility, each expert once, while node c
// (= cluster c) has fewer than `capacity` experts; experts nobody used fill the emptiest nodes. Returns the node of
// each expert.
std::vector<std::int32_t> utility_assignment(const std::vector<double>& util, std::size_t layer, std::size_t E,
                                             std::size_t k, std::size_t dim, std::size_t capacity);

} // namespace moescope::placement
