#pragma once
// Loader: turns an ImageDataset into batches of float images and i64 labels, shuffled and
// augmented reproducibly, with the next batch prepared on a background thread while the
// caller trains on the current one.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "data/augment.h"
#include "data/dataset.h"

namespace hs::data {

// How a Loader batches. The order of an epoch and every augmentation draw derive from
// (seed, epoch, batch index) only, so resuming at epoch k reproduces the run exactly.
struct LoaderOptions {
  std::int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;  // skip the final batch when it would be smaller than batch_size
  Augment augment{};
  std::uint64_t seed = 0;
  // On-disk datasets: threads decoding each batch's files (each image draws from its own
  // seeded stream, so the result does not depend on this number), and whether a file that
  // is not a valid image is left out of its batch (and counted) instead of an error.
  std::int64_t decode_threads = 1;
  bool skip_bad_images = false;
  // Data-parallel training: this loader yields only rank `rank`'s share of each epoch
  // among `replicas` ranks (data/distributed_sampler.h), with augmentation draws of its own.
  int replicas = 1, rank = 0;
};

// One batch: images f32 [B, C, H, W] and labels i64 [B] on the CPU; index counts batches
// from 0 within the epoch.
struct Batch {
  Tensor images;
  Tensor labels;
  std::int64_t index = 0;
};

// Yields the batches of one epoch at a time: start_epoch(e), then next() until it returns
// false. The dataset must outlive the loader and stay unchanged while it runs; one thread
// drives a loader.
class Loader {
 public:
  Loader(const ImageDataset& dataset, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  std::int64_t batches_per_epoch() const { return batches_; }
  const LoaderOptions& options() const { return options_; }

  // Begins epoch `epoch` (>= 0) from its first batch, abandoning any unfinished epoch.
  void start_epoch(std::int64_t epoch);
  // Fills `out` with the next batch of the current epoch and returns true, or returns false
  // once the epoch is exhausted. An error raised while preparing the batch is rethrown here.
  // With skip_bad_images, a batch holding bad files is that much shorter.
  bool next(Batch& out);

  // The files left out so far (with skip_bad_images), each counted once, sorted.
  std::vector<std::string> skipped_files() const;

 private:
  Batch make_batch(const std::vector<std::int64_t>& order, std::int64_t epoch,
                   std::int64_t index) const;
  Batch make_disk_batch(const std::vector<std::int64_t>& order, std::int64_t epoch,
                        std::int64_t index) const;
  // The image count of batch `index` of `order`, after a cheap guard (with `storage_ok`, the
  // dataset's own size check) against a dataset modified behind the loader's back, which
  // would otherwise read out of bounds.
  std::int64_t batch_count(const std::vector<std::int64_t>& order, std::int64_t index,
                           bool storage_ok) const;
  // Rank r's batch i draws as the one-process batch i * replicas + r would: ranks do not
  // repeat each other's crops and flips.
  std::uint64_t augment_seed(std::int64_t epoch, std::int64_t index) const;
  std::vector<std::int64_t> epoch_order(std::int64_t epoch) const;
  void prepare_batches();

  const ImageDataset& dataset_;
  const LoaderOptions options_;
  const std::int64_t batches_;

  // Shared between the caller and the worker; guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<const std::vector<std::int64_t>> order_;
  std::int64_t epoch_ = -1;       // -1 until the first start_epoch
  std::uint64_t generation_ = 0;  // bumped by start_epoch, so stale work in flight is dropped
  std::int64_t next_to_prepare_ = 0;
  std::int64_t next_to_deliver_ = 0;
  bool ready_ = false;  // `prepared_` or `failure_` holds the batch next_to_deliver_
  Batch prepared_;
  std::exception_ptr failure_;
  bool stopping_ = false;

  mutable std::mutex skipped_mutex_;
  mutable std::set<std::string> skipped_;

  std::thread worker_;  // declared last: it starts once everything above is initialised
};

}  // namespace hs::data
