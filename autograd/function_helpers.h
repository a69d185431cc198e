#pragma once
// Helpers shared by the differentiable functions and the engine: whether a call must be
// recorded, linking a node to its inputs and results, and whether a gradient tensor may
// be reused in place.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/variable.h"

namespace hs {

// True when grad mode is on and at least one input requires grad: the call gets a node.
template <class... Vs>
bool needs_grad(const Vs&... inputs) {
  return grad_enabled() && (inputs.requires_grad() || ...);
}
inline bool needs_grad(const std::vector<Variable>& inputs) {
  if (!grad_enabled()) return false;
  for (const Variable& v : inputs)
    if (v.requires_grad()) return true;
  return false;
}

// Whether `node` must produce a gradient for its input i (the input requires grad).
inline bool input_needs_grad(const Node& node, std::size_t i) {
  return node.next_edges[i].node != nullptr;
}

// Links `node` to the inputs (one edge each, in order) and returns `result` as the
// node's single output.
template <class... Vs>
Variable record(const std::shared_ptr<Node>& node, Tensor result, const Vs&... inputs) {
  node->next_edges = {inputs.gradient_edge()...};
  Variable out(std::move(result));
  out.set_history(node, 0);
  return out;
}
inline Variable record(const std::shared_ptr<Node>& node, Tensor result,
                       const std::vector<Variable>& inputs) {
  node->next_edges.clear();
  node->next_edges.reserve(inputs.size());
  for (const Variable& v : inputs) node->next_edges.push_back(v.gradient_edge());
  Variable out(std::move(result));
  out.set_history(node, 0);
  return out;
}

// Links `node` to one input and returns the results as its outputs 0..k-1.
inline std::vector<Variable> record_outputs(const std::shared_ptr<Node>& node,
                                            std::vector<Tensor> results, const Variable& input) {
  node->next_edges = {input.gradient_edge()};
  node->set_num_outputs(static_cast<int>(results.size()));
  std::vector<Variable> outs;
  outs.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    outs.emplace_back(std::move(results[i]));
    outs.back().set_history(node, static_cast<int>(i));
  }
  return outs;
}

// Optional inputs (gamma, beta, bias) may be undefined variables: no gradient, no edge.
inline bool requires_grad_if_defined(const Variable& v) { return v.defined() && v.requires_grad(); }
inline Edge edge_if_defined(const Variable& v) { return v.defined() ? v.gradient_edge() : Edge{}; }
inline Tensor data_if_defined(const Variable& v) { return v.defined() ? v.data() : Tensor(); }

inline void check_defined_input(const char* op, const Variable& x, const char* what) {
  HS_CHECK(x.defined(), op, ": ", what, " is an undefined variable");
}

// Makes `result` the single output of `node`, whose inputs are `edges` in order.
inline Variable link(const std::shared_ptr<Node>& node, Tensor result, std::vector<Edge> edges) {
  node->next_edges = std::move(edges);
  Variable out(std::move(result));
  out.set_history(node, 0);
  return out;
}

// True when nothing but `t` can see its storage and `t` covers all of it densely, so it
// may be kept as a leaf's .grad or added to in place.
inline bool is_sole_owner(const Tensor& t) {
  return t.storage().use_count() == 1 && t.is_contiguous() && t.nbytes() == t.storage()->nbytes();
}

}  // namespace hs
