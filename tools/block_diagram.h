#pragma once
// Block diagrams for students: how a multi-scale block moves its channels, as a graph of
// tensors and operations whose every edge carries its channel count, drawn as a
// self-contained SVG, with the block's bookkeeping as a text table beside it.
//
// A diagram is built from the block itself (its plan and options, nn::HSBlock::plan() etc.),
// never re-derived, so the picture shows what the code computes.
#include <cstdint>
#include <string>
#include <vector>

#include "nn/hs_block.h"
#include "nn/res2net_block.h"
#include "nn/sk_block.h"

namespace hs::tools {

// kind: "tensor" (an input, a split, the output), "op" (convolution, pooling, concatenation)
// or "add" (an element-wise sum). column/row place it on the diagram's grid.
struct DiagramNode {
  std::string id, kind, label;
  double column = 0, row = 0;
};

// `channels` flow from node `from` to node `to`.
struct DiagramEdge {
  std::string from, to;
  std::int64_t channels = 0;
};

struct BlockDiagram {
  std::string title;          // the block and its options
  std::string table;          // the per-group bookkeeping, as text
  std::int64_t channels = 0;  // of the block's input
  std::vector<DiagramNode> nodes;
  std::vector<DiagramEdge> edges;
};

BlockDiagram hs_block_diagram(const nn::HSBlock& block);
BlockDiagram res2net_block_diagram(const nn::Res2NetBlock& block);
BlockDiagram sk_block_diagram(const nn::SelectiveKernel& block);

// The diagram as one SVG document (inline style, no external references). Each node is a
// <g class="node" data-id=...> and each edge a <g class="edge" data-from=... data-to=...
// data-channels=...> with the count written on it.
std::string diagram_svg(const BlockDiagram& diagram);

}  // namespace hs::tools
