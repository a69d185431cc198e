#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <utility>

#include "autograd/function_helpers.h"
#include "ops/elementwise.h"

namespace hs {

namespace {

void check_root_gradient(const Variable& root, const Tensor& grad) {
  HS_CHECK(root.defined(), "backward: an output is undefined");
  HS_CHECK(root.requires_grad(), "backward: the output of shape ", root.shape(),
           " does not require grad and has no grad_fn (no input requires grad, or it was "
           "computed under NoGradGuard)");
  HS_CHECK(grad.defined(), "backward: the gradient for the output of shape ", root.shape(),
           " is undefined");
  HS_CHECK(grad.shape() == root.shape(), "backward: gradient has shape ", grad.shape(),
           " but the output has shape ", root.shape());
  HS_CHECK(grad.dtype() == root.dtype(), "backward: gradient has dtype ", dtype_name(grad.dtype()),
           " but the output has dtype ", dtype_name(root.dtype()), " (shapes ", grad.shape(),
           " and ", root.shape(), ")");
  HS_CHECK(grad.device() == root.device(), "backward: gradient is on ", grad.device(),
           " but the output is on ", root.device(), " (shapes ", grad.shape(), " and ",
           root.shape(), ")");
}

// Adds `incoming` into a node's input slot: taken as is when the slot is empty, added in
// place when the slot's tensor is not visible elsewhere, otherwise summed into a new one.
void accumulate_into(Tensor& slot, Tensor&& incoming) {
  if (!incoming.defined()) return;
  if (!slot.defined()) {
    slot = std::move(incoming);
  } else if (is_sole_owner(slot)) {
    ops::add_(slot, incoming);
  } else {
    slot = ops::add(slot, incoming);
  }
}

struct GraphTask {
  // Number of edges into each node from nodes that still have to run.
  std::unordered_map<Node*, int> dependencies;
  // Gradients of each node's outputs, summed over their consumers.
  std::unordered_map<Node*, std::vector<Tensor>> buffers;

  std::vector<Tensor>& buffer_of(Node* node) {
    auto [it, inserted] = buffers.try_emplace(node);
    if (inserted) it->second.resize(node->num_outputs());
    return it->second;
  }

  // Every node reachable from the roots, with the number of edges pointing at it.
  void count_dependencies(const std::vector<Node*>& roots) {
    std::vector<Node*> stack;
    for (Node* root : roots) {
      if (dependencies.try_emplace(root, 0).second) stack.push_back(root);
    }
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      for (const Edge& edge : node->next_edges) {
        if (!edge.node) continue;
        auto [it, first_visit] = dependencies.try_emplace(edge.node.get(), 0);
        ++it->second;
        if (first_visit) stack.push_back(edge.node.get());
      }
    }
  }
};

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

bool any_defined(const std::vector<Tensor>& grads) {
  for (const Tensor& g : grads)
    if (g.defined()) return true;
  return false;
}

}  // namespace

void run_backward(const std::vector<Variable>& roots, const std::vector<Tensor>& grads,
                  bool retain_graph) {
  HS_CHECK(roots.size() == grads.size(), "backward: ", roots.size(), " outputs but ", grads.size(),
           " gradients");
  for (std::size_t i = 0; i < roots.size(); ++i) check_root_gradient(roots[i], grads[i]);

  GraphTask task;
  // Shared owners of the root nodes: a temporary root would otherwise die mid-backward.
  std::vector<std::shared_ptr<Node>> root_nodes;
  std::vector<Node*> root_ptrs;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    Edge edge = roots[i].gradient_edge();
    accumulate_into(task.buffer_of(edge.node.get())[edge.input_nr], Tensor(grads[i]));
    root_ptrs.push_back(edge.node.get());
    root_nodes.push_back(std::move(edge.node));
  }
  task.count_dependencies(root_ptrs);

  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  for (Node* root : root_ptrs) {
    int& deps = task.dependencies.at(root);
    // A root reachable from another root waits for it; -1 marks one already queued.
    if (deps == 0) {
      ready.push(root);
      deps = -1;
    }
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> inputs = std::move(task.buffer_of(node));
    task.buffers.erase(node);

    std::vector<Tensor> outputs;
    if (any_defined(inputs)) {
      outputs = node->apply(std::move(inputs));
      HS_CHECK(outputs.size() == node->next_edges.size(), "backward: ", node->name(), " returned ",
               outputs.size(), " gradients for ", node->next_edges.size(), " inputs");
    }
    if (!retain_graph) node->release_saved();

    for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      if (!edge.node) continue;
      Node* next = edge.node.get();
      if (i < outputs.size())
        accumulate_into(task.buffer_of(next)[edge.input_nr], std::move(outputs[i]));
      if (--task.dependencies.at(next) == 0) ready.push(next);
    }
  }
}

}  // namespace hs
