#pragma once
// Node: one recorded operation in the backward graph. It holds what its backward needs
// (saved tensors, shapes) and an Edge per differentiable input, pointing at the node that
// produced that input (or the leaf's AccumulateGrad). apply() maps the gradients of its
// outputs to the gradients of its inputs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace hs {

class Node;

// A fresh creation number from a global counter; every Node takes one when constructed.
std::uint64_t next_sequence_nr();

struct Edge {
  std::shared_ptr<Node> node;  // null: the input needs no gradient
  int input_nr = 0;            // which output of `node` this input was
};

class Node {
 public:
  virtual ~Node() = default;
  // grads[i] is the gradient of output i (undefined when that output got none). Returns
  // one gradient per next_edges entry (undefined where no gradient flows).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  virtual std::string name() const = 0;
  // Drops saved tensors after a backward without retain_graph.
  virtual void release_saved() {}

  int num_outputs() const { return num_outputs_; }
  void set_num_outputs(int n) { num_outputs_ = n; }
  std::vector<Edge> next_edges;
  // Creation order; the engine runs later nodes first among those ready.
  std::uint64_t sequence_nr = next_sequence_nr();

 protected:
  // For nodes that save tensors: call at the top of apply(); an hs::Error when a previous
  // backward freed them.
  void check_not_released() const;
  bool released_ = false;

 private:
  int num_outputs_ = 1;
};

}  // namespace hs
