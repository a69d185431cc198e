// Module checkpoints: save/load round trips through safetensors, and loads of files that do
// not match the module, which must fail naming the key and leave the module untouched.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "nn/batch_norm.h"
#include "nn/checkpoint.h"
#include "nn/conv2d.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/safetensors.h"
#include "nn/sequential.h"
#include "test_util/temp_dir.h"

using namespace hs;
using Catch::Contains;
namespace fs = std::filesystem;

using hs::test::TempDir;

namespace {

// Conv + BN + grouped conv + BN-ReLU + a nested Sequential holding a Linear, so the state
// dict has parameters, f32 and i64 buffers and two levels of dotted names.
std::shared_ptr<nn::Sequential> make_model() {
  auto head = std::make_shared<nn::Sequential>();
  head->push_back(std::make_shared<nn::Linear>(8, 4));
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = 3, .out_channels = 8, .kernel_size = 3, .bias = true}));
  model->push_back(std::make_shared<nn::BatchNorm2d>(8));
  model->push_back(std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = 8, .out_channels = 8, .kernel_size = 3, .groups = 2}));
  model->push_back(std::make_shared<nn::BatchNorm2d>(8, 0.1, 1e-5, /*fuse_relu=*/true));
  model->push_back(head);
  return model;
}

// Overwrites every parameter and buffer (through the storage the state dict shares), so no
// entry keeps the value a fresh module would have.
void randomize(const nn::Module& m, Generator& gen) {
  for (auto& [name, t] : m.state_dict()) {
    Tensor slot = t;
    if (is_floating(slot.dtype()))
      slot.copy_(randn(slot.shape(), gen, slot.dtype()));
    else
      slot.fill_(static_cast<double>(1 + gen.below(1000)));
  }
}

nn::StateDict snapshot(const nn::Module& m) {
  nn::StateDict copy;
  for (const auto& [name, t] : m.state_dict()) copy[name] = t.clone();
  return copy;
}

bool same_values(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || !(a.shape() == b.shape())) return false;
  return dispatch_dtype(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return a.to_vector<T>() == b.to_vector<T>();
  });
}

// Every parameter and buffer of `m` equals the entry of `expected` with the same name.
void require_state(const nn::Module& m, const nn::StateDict& expected) {
  const nn::StateDict actual = m.state_dict();
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, t] : expected) {
    INFO("entry " << name);
    REQUIRE(actual.count(name) == 1);
    CHECK(same_values(actual.at(name), t));
  }
}

}  // namespace

TEST_CASE("save then load into a differently initialised module restores every entry",
          "[nn][checkpoint]") {
  TempDir dir("hsnet-test-checkpoint");
  nn::manual_seed(1);
  auto source = make_model();
  Generator gen(10);
  randomize(*source, gen);
  const nn::StateDict saved = snapshot(*source);
  const std::string path = dir.file("model.safetensors");
  nn::save(*source, path, {{"epoch", "7"}, {"arch", "tiny"}});

  nn::manual_seed(2);
  auto target = make_model();
  for (const auto& [name, t] : target->state_dict()) {
    INFO("entry " << name);
    CHECK_FALSE(same_values(t, saved.at(name)));
  }

  nn::load(*target, path);
  require_state(*target, saved);
  // The source is untouched by saving.
  require_state(*source, saved);

  // The file holds PyTorch-style names and the metadata.
  const nn::SafetensorsFile file = nn::read_safetensors(path);
  CHECK(file.metadata == std::map<std::string, std::string>{{"epoch", "7"}, {"arch", "tiny"}});
  CHECK(file.tensors.size() == saved.size());
  for (const char* key : {"0.weight", "0.bias", "1.weight", "1.running_mean", "1.running_var",
                          "1.num_batches_tracked", "2.weight", "3.bias", "4.0.weight", "4.0.bias"})
    CHECK(file.tensors.count(key) == 1);
  CHECK(file.tensors.count("2.bias") == 0);
  CHECK(file.tensors.at("1.num_batches_tracked").dtype() == DType::i64);
  CHECK(file.tensors.at("1.num_batches_tracked").dim() == 0);
}

TEST_CASE("loading a file that does not match the module fails and changes nothing",
          "[nn][checkpoint]") {
  TempDir dir("hsnet-test-checkpoint");
  nn::manual_seed(3);
  auto source = make_model();
  Generator gen(11);
  randomize(*source, gen);
  const nn::StateDict good = snapshot(*source);

  nn::manual_seed(4);
  auto target = make_model();
  randomize(*target, gen);
  const nn::StateDict before = snapshot(*target);
  const std::string path = dir.file("bad.safetensors");

  // Each file is correct except for one entry, so a partial load would be visible.
  SECTION("missing key") {
    nn::StateDict state = good;
    state.erase("3.running_var");
    nn::write_safetensors(path, state);
    CHECK_THROWS_WITH(nn::load(*target, path),
                      Contains(path) && Contains("missing key '3.running_var'"));
  }
  SECTION("unexpected key") {
    nn::StateDict state = good;
    state["4.1.weight"] = ones({4, 4});
    nn::write_safetensors(path, state);
    CHECK_THROWS_WITH(nn::load(*target, path),
                      Contains(path) && Contains("unexpected key '4.1.weight'"));
  }
  SECTION("wrong shape") {
    nn::StateDict state = good;
    state["4.0.weight"] = zeros({4, 9});
    nn::write_safetensors(path, state);
    CHECK_THROWS_WITH(nn::load(*target, path),
                      Contains(path) && Contains("key '4.0.weight' has shape [4,9]"));
  }
  SECTION("integer values for a floating parameter") {
    nn::StateDict state = good;
    state["0.bias"] = zeros({8}, DType::i64);
    nn::write_safetensors(path, state);
    CHECK_THROWS_WITH(nn::load(*target, path), Contains(path) && Contains("key '0.bias'"));
  }
  SECTION("truncated file") {
    nn::write_safetensors(path, good);
    const auto full_size = fs::file_size(path);
    fs::resize_file(path, full_size - 4);
    CHECK_THROWS_WITH(nn::load(*target, path),
                      Contains(path) && Contains("beyond the data section"));
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(nn::load(*target, path),
                      Contains(path) && Contains("No such file or directory"));
  }
  CHECK_THROWS_AS(nn::load(*target, path), Error);
  require_state(*target, before);
}
