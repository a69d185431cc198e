#pragma once
// The share of an epoch one rank of a data-parallel job reads, with the semantics of
// PyTorch's DistributedSampler (drop_last false): the epoch's order (shuffled the same on
// every rank) is padded by wrapping around to a multiple of `replicas`, and rank r takes
// positions r, r + replicas, r + 2 replicas, ... So every rank gets the same number of
// samples, and the ranks' i-th batches of B together are the one-process batch of B * replicas.
#include <cstdint>
#include <vector>

namespace hs::data {

// Samples per rank: ceil(n / replicas).
std::int64_t shard_size(std::int64_t n, int replicas);

// Rank `rank`'s samples of `order`, in order; `order` must not be empty.
std::vector<std::int64_t> shard(const std::vector<std::int64_t>& order, int replicas, int rank);

}  // namespace hs::data
