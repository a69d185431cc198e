#include "data/distributed_sampler.h"

#include "core/error.h"

namespace hs::data {

std::int64_t shard_size(std::int64_t n, int replicas) {
  HS_CHECK(replicas >= 1, "shard: the number of replicas must be >= 1, got ", replicas);
  return (n + replicas - 1) / replicas;
}

std::vector<std::int64_t> shard(const std::vector<std::int64_t>& order, int replicas, int rank) {
  const std::int64_t n = static_cast<std::int64_t>(order.size());
  const std::int64_t per_rank = shard_size(n, replicas);
  HS_CHECK(rank >= 0 && rank < replicas, "shard: rank ", rank, " is not in [0, ", replicas, ")");
  HS_CHECK(n > 0, "shard: an empty order has nothing to share among ", replicas, " ranks");
  std::vector<std::int64_t> mine(static_cast<std::size_t>(per_rank));
  for (std::int64_t i = 0; i < per_rank; ++i)
    mine[static_cast<std::size_t>(i)] = order[static_cast<std::size_t>((i * replicas + rank) % n)];
  return mine;
}

}  // namespace hs::data
