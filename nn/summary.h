#pragma once
// Model summaries: one forward pass under a SummaryRecorder collects, for every module
// call, its dotted name, output shape, own parameter count and MACs (convolutions and
// linear layers only), and prints them as a table.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "nn/module.h"

namespace hs::nn {

struct SummaryRow {
  std::string name;  // dotted path ("" for the root)
  std::string type;
  Shape output;
  std::int64_t params = 0;  // parameters registered directly on this module
  std::int64_t macs = 0;
};

// Records module calls on this thread while alive (one recorder at a time).
class SummaryRecorder {
 public:
  explicit SummaryRecorder(const Module& root);
  ~SummaryRecorder();
  SummaryRecorder(const SummaryRecorder&) = delete;
  SummaryRecorder& operator=(const SummaryRecorder&) = delete;

  static SummaryRecorder* active();
  void record(const Module& m, const Shape& input, const Shape& output);
  const std::vector<SummaryRow>& rows() const { return rows_; }

 private:
  std::unordered_map<const Module*, std::string> names_;
  std::vector<SummaryRow> rows_;
  SummaryRecorder* previous_;
};

struct Summary {
  std::vector<SummaryRow> rows;  // in call order
  std::int64_t total_params = 0;
  std::int64_t total_macs = 0;
  // The table, ending with the line "total params=<int> macs=<int>".
  std::string table() const;
};

// Runs one eval-mode forward (no graph) of a zero batch of `input` ([N,C,H,W]) through
// `model` and summarises it. The model's train/eval mode is restored afterwards.
Summary summarize(Module& model, const Shape& input);

}  // namespace hs::nn
