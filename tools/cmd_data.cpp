// hsnet data: `download` fetches a dataset from where its authors publish it into the folder
// the readers look in; `bench-decode` measures how many images per second one thread decodes
// and crops (JPEG decoding, random resized crop, flip, normalisation), the loader's work.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/generator.h"
#include "data/datasets.h"
#include "data/download.h"
#include "data/image_folder.h"
#include "data/jpeg.h"
#include "data/resized_crop.h"
#include "tools/commands.h"

namespace hs::tools {

namespace {

struct DownloadArgs {
  std::string name, dir;
};

int download(const DownloadArgs& a) {
  const data::DatasetSource& source = data::dataset_source(a.name);
  const std::string dir = a.dir.empty() ? data::download_dir(a.name) : a.dir;
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    std::printf("%s: %s already exists (remove it to download again)\n", a.name.c_str(),
                dir.c_str());
    return 0;
  }
  data::download_dataset(source, data::mirror_or(source.base_url), dir, &std::cout);
  return 0;
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

struct BenchArgs {
  std::string data;
  std::int64_t images = 64, width = 500, height = 375, size = 224, threads = 1;
  double seconds = 3.0;
};

// Synthetic photographs: smooth gradients with noise, so the JPEGs have realistic sizes.
std::vector<std::vector<std::uint8_t>> synthetic_jpegs(const BenchArgs& a) {
  std::vector<std::vector<std::uint8_t>> files;
  Generator gen(1);
  for (std::int64_t i = 0; i < a.images; ++i) {
    data::Image image{3, a.height, a.width, {}};
    image.pixels.resize(static_cast<std::size_t>(3 * a.height * a.width));
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t y = 0; y < a.height; ++y)
        for (std::int64_t x = 0; x < a.width; ++x)
          image.pixels[(c * a.height + y) * a.width + x] =
              static_cast<std::uint8_t>((x * (c + 1) + y * (3 - c) + i * 17) % 200 + gen.below(56));
    files.push_back(data::encode_jpeg(image, 90));
  }
  return files;
}

int bench_decode(const BenchArgs& a) {
  HS_CHECK(a.threads >= 1 && a.images >= 1 && a.seconds > 0, "bench-decode: --threads, ",
           "--images and --seconds must be positive");
  const data::ChannelStats stats = *data::known_channel_stats("folder");
  std::vector<std::vector<std::uint8_t>> jpegs;
  data::ImageDataset folder;
  if (a.data.empty()) {
    jpegs = synthetic_jpegs(a);
  } else {
    folder = data::scan_image_folder(a.data, true, a.size);
  }
  data::Augment aug{0, true, stats.mean, stats.std, true};
  std::vector<std::int64_t> done(static_cast<std::size_t>(a.threads));
  std::vector<double> cpu_seconds(static_cast<std::size_t>(a.threads));
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(a.seconds);
  auto work = [&](std::int64_t t) {
    Generator gen(static_cast<std::uint64_t>(t));
    std::vector<float> out(static_cast<std::size_t>(3 * a.size * a.size));
    std::int64_t count = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (a.data.empty()) {
        const auto& bytes = jpegs[(count * a.threads + t) % a.images];
        const data::Image image = data::decode_jpeg(bytes.data(), bytes.size(), "synthetic");
        const data::CropBox box = data::random_resized_crop_box(image.height, image.width, gen);
        data::sample_normalised(image, data::crop_axis(box.top, box.height, a.size),
                                data::crop_axis(box.left, box.width, a.size), a.size, a.size,
                                gen.uniform() < 0.5, stats.mean, stats.std, out.data());
      } else {
        data::load_image_sample(folder, (count * a.threads + t) % folder.n, aug, gen, out.data());
      }
      ++count;
    }
    done[t] = count;
    cpu_seconds[t] = thread_cpu_seconds();
  };
  std::vector<std::thread> threads;
  for (std::int64_t t = 0; t < a.threads; ++t) threads.emplace_back(work, t);
  for (std::thread& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::int64_t total = 0;
  double cpu = 0;
  for (std::int64_t t = 0; t < a.threads; ++t) {
    total += done[t];
    cpu += cpu_seconds[t];
  }
  // Per CPU second too: on a shared machine the wall-clock figure depends on the neighbours.
  std::printf(
      "bench-decode: %s, %lld threads: %.0f images/s (%.0f per thread) over %.1f s; %.0f images "
      "per CPU second of a thread\n",
      a.data.empty() ? ("synthetic " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                        " JPEGs (quality 90)")
                           .c_str()
                     : a.data.c_str(),
      static_cast<long long>(a.threads), total / elapsed, total / elapsed / a.threads, elapsed,
      total / cpu);
  return 0;
}

}  // namespace

Command add_data(CLI::App& app) {
  app.require_subcommand(1);
  auto d = std::make_shared<DownloadArgs>();
  CLI::App* dl = app.add_subcommand("download", "fetch, verify and unpack a dataset");
  dl->add_option("name", d->name, "cifar10 | cifar100 | fashion-mnist | mnist")->required();
  dl->add_option("--dir", d->dir,
                 "dataset folder to create (default: where --dataset looks, under data/)");
  auto b = std::make_shared<BenchArgs>();
  CLI::App* bench =
      app.add_subcommand("bench-decode", "images/s of JPEG decoding and cropping per thread");
  bench->add_option("--data", b->data,
                    "an image folder whose train split to decode (default: synthetic JPEGs)");
  bench->add_option("--images", b->images, "synthetic images")->capture_default_str();
  bench->add_option("--width", b->width, "synthetic image width")->capture_default_str();
  bench->add_option("--height", b->height, "synthetic image height")->capture_default_str();
  bench->add_option("--size", b->size, "side of the crops produced")->capture_default_str();
  bench->add_option("--threads", b->threads, "decoding threads")->capture_default_str();
  bench->add_option("--seconds", b->seconds, "how long to measure")->capture_default_str();
  return [dl, d, b]() { return dl->parsed() ? download(*d) : bench_decode(*b); };
}

}  // namespace hs::tools
