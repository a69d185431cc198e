#pragma once
// Shared by the end-to-end training tests: a tiny learnable Fashion-MNIST-shaped dataset
// written as IDX files into a temporary directory, a small fast training config, and
// helpers to read what a run leaves in its output directory.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "nn/safetensors.h"
#include "test_util/temp_dir.h"
#include "tools/train_config.h"

namespace hs::test {

namespace fs = std::filesystem;

inline void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

inline std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void push_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Class c of 10 is a translation-invariant texture (so a network ending in global average
// pooling can tell them apart): stripes in one of five orientations (horizontal, vertical,
// two diagonals, checkerboard) with period 4 (c < 5) or 8, at a random phase, plus noise.
inline std::uint8_t texture_pixel(int label, int y, int x, int phase, double noise) {
  const int period = label < 5 ? 4 : 8;
  int t = 0;
  switch (label % 5) {
    case 0:
      t = y;
      break;
    case 1:
      t = x;
      break;
    case 2:
      t = x + y;
      break;
    case 3:
      t = x - y + 64;
      break;
    case 4:
      t = (y / (period / 2) + x / (period / 2)) * (period / 2);
      break;
  }
  const bool on = ((t + phase) % period) < period / 2;
  const double v = (on ? 200.0 : 40.0) + noise;
  return static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
}

// Writes {train,t10k}-{images-idx3,labels-idx1}-ubyte of n_train and n_test 28x28 images,
// labels cycling through the 10 classes, deterministic in `seed`.
inline void write_texture_dataset(const fs::path& dir, std::int64_t n_train, std::int64_t n_test,
                                  std::uint64_t seed = 7) {
  fs::create_directories(dir);
  Generator gen(seed);
  auto write_split = [&](const std::string& prefix, std::int64_t n) {
    std::vector<std::uint8_t> images, labels;
    push_be32(images, 0x00000803);
    push_be32(images, static_cast<std::uint32_t>(n));
    push_be32(images, 28);
    push_be32(images, 28);
    push_be32(labels, 0x00000801);
    push_be32(labels, static_cast<std::uint32_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const int label = static_cast<int>(i % 10);
      const int phase = static_cast<int>(gen.next_u64() % 8);
      labels.push_back(static_cast<std::uint8_t>(label));
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x)
          images.push_back(texture_pixel(label, y, x, phase, 30.0 * gen.normal()));
    }
    write_bytes(dir / (prefix + "-images-idx3-ubyte"), images);
    write_bytes(dir / (prefix + "-labels-idx1-ubyte"), labels);
  };
  write_split("train", n_train);
  write_split("t10k", n_test);
}

// A run that takes a second or so: a narrow HS-ResNet-29 (w0 = 1, s = 2), 4 steps of 16
// images per epoch, constant lr, no augmentation, one thread (bit-reproducible).
inline tools::TrainConfig small_config(const fs::path& data_dir, const fs::path& out_dir) {
  tools::TrainConfig c;
  c.model = "hs_resnet29_cifar";
  c.model_options = {{"w0", 1}, {"s", 2}};
  c.dataset = "fashion-mnist";
  c.data = data_dir.string();
  c.epochs = 2;
  c.batch_size = 16;
  c.lr = 0.05;
  c.schedule = "constant";
  c.crop_padding = 0;
  c.flip = false;
  c.seed = 3;
  c.threads = 1;
  c.out = out_dir.string();
  return c;
}

// Writes c as an `hsnet train --config` file at `path` (with its test-only stop_after_steps,
// which to_json leaves out) and returns the path.
inline fs::path write_config_file(const tools::TrainConfig& c, const fs::path& path) {
  nlohmann::json j = c.to_json();
  if (c.stop_after_steps > 0) j["stop_after_steps"] = c.stop_after_steps;
  std::ofstream f(path);
  f << j.dump(2);
  REQUIRE(f.good());
  return path;
}

// The arguments of a small `hsnet train` run: small_config's model, batch size, lr, schedule,
// thread and seed (augmentation as the command line's defaults), `epochs` epochs, into out_dir.
inline std::vector<std::string> small_train_args(const fs::path& data_dir, const fs::path& out_dir,
                                                 int epochs = 2) {
  return {"train",
          "--model",
          "hs_resnet29_cifar",
          "--w0",
          "1",
          "--s",
          "2",
          "--dataset",
          "fashion-mnist",
          "--data",
          data_dir.string(),
          "--epochs",
          std::to_string(epochs),
          "--batch-size",
          "16",
          "--lr",
          "0.05",
          "--schedule",
          "constant",
          "--threads",
          "1",
          "--seed",
          "3",
          "--out",
          out_dir.string()};
}

// The bytes of every file in a run's output directory but config.json (which each
// invocation rewrites): equal before and after a run that must leave the directory alone.
inline std::map<std::string, std::string> run_files(const fs::path& out_dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(out_dir))
    if (entry.path().filename() != "config.json")
      files[entry.path().filename().string()] = read_text(entry.path());
  return files;
}

// The lines of OUT/metrics.jsonl, parsed.
inline std::vector<nlohmann::json> read_metrics(const fs::path& out_dir) {
  std::ifstream f(out_dir / "metrics.jsonl");
  REQUIRE(f.good());
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// A metrics line without its wall-clock fields, which differ between identical runs.
inline nlohmann::json without_timing(nlohmann::json m) {
  m.erase("seconds");
  m.erase("images_per_second");
  return m;
}

inline nlohmann::json read_json_file(const fs::path& path) {
  return nlohmann::json::parse(read_text(path));
}

// Requires two state dicts with the same keys and bit-identical tensors.
inline void require_identical(const nn::StateDict& a, const nn::StateDict& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [key, ta] : a) {
    INFO("tensor " << key);
    const auto it = b.find(key);
    REQUIRE(it != b.end());
    const Tensor& tb = it->second;
    REQUIRE(ta.dtype() == tb.dtype());
    REQUIRE(ta.shape() == tb.shape());
    const Tensor ca = ta.to(Device::cpu()).contiguous(), cb = tb.to(Device::cpu()).contiguous();
    const auto* pa = static_cast<const std::uint8_t*>(ca.data_ptr());
    const auto* pb = static_cast<const std::uint8_t*>(cb.data_ptr());
    REQUIRE(std::equal(pa, pa + ca.nbytes(), pb));
  }
}

}  // namespace hs::test
