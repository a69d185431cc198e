#include "data/loader.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "core/error.h"
#include "data/distributed_sampler.h"
#include "data/image_folder.h"

namespace hs::data {

namespace {

// SplitMix64's finaliser: spreads every input bit over the output, so seeds built from
// nearby (seed, epoch, batch) triples give unrelated streams.
std::uint64_t scramble(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

enum class Stream : std::uint64_t { shuffle = 1, augment = 2 };

std::uint64_t derive_seed(std::uint64_t seed, Stream stream, std::int64_t epoch,
                          std::int64_t batch) {
  std::uint64_t h = scramble(seed);
  h = scramble(h ^ static_cast<std::uint64_t>(stream));
  h = scramble(h ^ static_cast<std::uint64_t>(epoch));
  return scramble(h ^ static_cast<std::uint64_t>(batch));
}

std::int64_t count_batches(std::int64_t dataset_size, const LoaderOptions& options) {
  HS_CHECK(options.batch_size > 0, "Loader: batch_size must be > 0, got ", options.batch_size);
  HS_CHECK(options.decode_threads >= 1, "Loader: decode_threads must be >= 1, got ",
           options.decode_threads);
  HS_CHECK(options.rank >= 0 && options.rank < options.replicas, "Loader: rank ", options.rank,
           " is not in [0, ", options.replicas, ")");
  const std::int64_t n = shard_size(dataset_size, options.replicas);
  return options.drop_last ? n / options.batch_size
                           : (n + options.batch_size - 1) / options.batch_size;
}

}  // namespace

Loader::Loader(const ImageDataset& dataset, LoaderOptions options)
    : dataset_(dataset),
      options_(std::move(options)),
      batches_(count_batches(dataset.n, options_)) {
  check_consistent(dataset_, "Loader");
  check_augment(options_.augment, dataset_, "Loader");
  worker_ = std::thread([this] { prepare_batches(); });
}

Loader::~Loader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

std::vector<std::int64_t> Loader::epoch_order(std::int64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(dataset_.n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (options_.shuffle) {
    Generator gen(derive_seed(options_.seed, Stream::shuffle, epoch, 0));
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
  }
  if (options_.replicas > 1) return shard(order, options_.replicas, options_.rank);
  return order;
}

void Loader::start_epoch(std::int64_t epoch) {
  HS_CHECK(epoch >= 0, "Loader::start_epoch: epoch must be >= 0, got ", epoch);
  auto order = std::make_shared<const std::vector<std::int64_t>>(epoch_order(epoch));
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    order_ = std::move(order);
    epoch_ = epoch;
    next_to_prepare_ = 0;
    next_to_deliver_ = 0;
    ready_ = false;
    prepared_ = Batch{};
    failure_ = nullptr;
  }
  changed_.notify_all();
}

bool Loader::next(Batch& out) {
  std::unique_lock lock(mutex_);
  HS_CHECK(epoch_ >= 0, "Loader::next: call start_epoch(epoch) before asking for batches");
  if (next_to_deliver_ >= batches_) return false;
  changed_.wait(lock, [this] { return ready_; });
  Batch batch = std::exchange(prepared_, Batch{});
  std::exception_ptr failure = std::exchange(failure_, nullptr);
  ready_ = false;
  ++next_to_deliver_;
  lock.unlock();
  changed_.notify_all();
  if (failure) std::rethrow_exception(failure);
  out = std::move(batch);
  return true;
}

void Loader::prepare_batches() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] {
      return stopping_ || (epoch_ >= 0 && !ready_ && next_to_prepare_ < batches_);
    });
    if (stopping_) return;
    const std::uint64_t generation = generation_;
    const std::shared_ptr<const std::vector<std::int64_t>> order = order_;
    const std::int64_t epoch = epoch_;
    const std::int64_t index = next_to_prepare_++;
    lock.unlock();

    Batch batch;
    std::exception_ptr failure;
    try {
      batch = make_batch(*order, epoch, index);
    } catch (...) {
      failure = std::current_exception();
    }

    lock.lock();
    if (generation != generation_) continue;  // start_epoch moved on while we worked
    prepared_ = std::move(batch);
    failure_ = failure;
    ready_ = true;
    changed_.notify_all();
  }
}

std::vector<std::string> Loader::skipped_files() const {
  std::lock_guard lock(skipped_mutex_);
  return {skipped_.begin(), skipped_.end()};
}

std::int64_t Loader::batch_count(const std::vector<std::int64_t>& order, std::int64_t index,
                                 bool storage_ok) const {
  HS_CHECK(storage_ok &&
               order.size() == static_cast<std::size_t>(shard_size(dataset_.n, options_.replicas)),
           "Loader: dataset '", dataset_.name, "' changed size after the loader was built");
  return std::min(options_.batch_size,
                  static_cast<std::int64_t>(order.size()) - index * options_.batch_size);
}

std::uint64_t Loader::augment_seed(std::int64_t epoch, std::int64_t index) const {
  return derive_seed(options_.seed, Stream::augment, epoch,
                     index * options_.replicas + options_.rank);
}

Batch Loader::make_batch(const std::vector<std::int64_t>& order, std::int64_t epoch,
                         std::int64_t index) const {
  if (dataset_.on_disk()) return make_disk_batch(order, epoch, index);
  const std::int64_t count = batch_count(
      order, index,
      dataset_.pixels.size() == static_cast<std::size_t>(dataset_.n * dataset_.image_size()) &&
          dataset_.labels.size() == static_cast<std::size_t>(dataset_.n));
  const std::int64_t first = index * options_.batch_size;
  const std::int64_t image_size = dataset_.image_size();

  Batch batch;
  batch.index = index;
  batch.images = empty({count, dataset_.channels, dataset_.height, dataset_.width});
  batch.labels = empty({count}, DType::i64);
  float* images = batch.images.data<float>();
  std::int64_t* labels = batch.labels.data<std::int64_t>();
  Generator gen(augment_seed(epoch, index));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t sample = order[first + i];
    augment_image(dataset_, sample, options_.augment, gen, images + i * image_size);
    labels[i] = dataset_.labels[sample];
  }
  return batch;
}

Batch Loader::make_disk_batch(const std::vector<std::int64_t>& order, std::int64_t epoch,
                              std::int64_t index) const {
  const std::int64_t count =
      batch_count(order, index, dataset_.files.size() == static_cast<std::size_t>(dataset_.n));
  const std::int64_t first = index * options_.batch_size;
  const std::int64_t image_size = dataset_.image_size();
  Tensor images = empty({count, dataset_.channels, dataset_.height, dataset_.width});
  float* pixels = images.data<float>();
  const std::uint64_t batch_seed = augment_seed(epoch, index);
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(count));
  auto decode_share = [&](std::int64_t share, std::int64_t shares) {
    for (std::int64_t i = share; i < count; i += shares) {
      Generator gen(scramble(batch_seed ^ static_cast<std::uint64_t>(i)));
      try {
        load_image_sample(dataset_, order[first + i], options_.augment, gen,
                          pixels + i * image_size);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  const std::int64_t shares = std::min(options_.decode_threads, count);
  std::vector<std::thread> helpers;
  for (std::int64_t share = 1; share < shares; ++share)
    helpers.emplace_back(decode_share, share, shares);
  decode_share(0, shares);
  for (std::thread& helper : helpers) helper.join();

  // Moves the good images forward over the bad ones, or reports the first bad one.
  Batch batch;
  batch.index = index;
  batch.labels = empty({count}, DType::i64);
  std::int64_t* labels = batch.labels.data<std::int64_t>();
  std::int64_t kept = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t sample = order[first + i];
    if (failures[i]) {
      if (!options_.skip_bad_images) std::rethrow_exception(failures[i]);
      std::lock_guard lock(skipped_mutex_);
      skipped_.insert(dataset_.files[sample]);
      continue;
    }
    if (kept != i)
      std::copy(pixels + i * image_size, pixels + (i + 1) * image_size, pixels + kept * image_size);
    labels[kept++] = dataset_.labels[sample];
  }
  HS_CHECK(kept > 0, "Loader: every image of batch ", index, " of dataset '", dataset_.name,
           "' is bad, among them ", dataset_.files[order[first]]);
  batch.images = kept == count ? images : images.narrow(0, 0, kept);
  batch.labels = kept == count ? batch.labels : batch.labels.narrow(0, 0, kept);
  return batch;
}

}  // namespace hs::data
