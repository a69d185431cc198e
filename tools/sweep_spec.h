#pragma once
// SweepSpec: what `hsnet sweep` runs, read from JSON —
//   {"base": "configs/x.json" | {config}, "set": {key: value}, "grid": {axis: [values]} or a
//    list of such grids (their union: a baseline with other axes sits in the same table),
//    "random": {"n": 8, "seed": 0, "space": {axis: {"choice": [..]} | {"uniform": [lo, hi]} |
//    {"int": [lo, hi]}}}, "seeds": [0, 1], "out": "runs/sweep_x"}.
// An axis is a training key ("lr") or a model option ("model_options.ratio"), `model`
// included. Every trial is expanded and checked (config and model) when the spec is read,
// so an unknown key, an empty axis or an invalid model is an hs::Error before anything trains.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/train_config.h"

namespace hs::tools {

struct SweepTrial {
  std::string name;     // e.g. "03-s4-ratio0.25-seed0": the folder OUT/trials/NAME
  nlohmann::json axes;  // axis -> this trial's value (null where its grid lacks the axis)
  std::uint64_t seed = 0;
  TrainConfig config;  // out = OUT/trials/NAME
};

struct SweepSpec {
  std::string out;                // OUT (the spec's "out", or --out)
  std::vector<std::string> axes;  // in the order the spec names them
  std::vector<SweepTrial> trials;

  // `spec` is the spec's JSON (keys in file order); `out` overrides its "out" when not empty.
  static SweepSpec parse(const nlohmann::ordered_json& spec, const std::string& out = "");
  static SweepSpec read(const std::string& path, const std::string& out = "");
};

}  // namespace hs::tools
