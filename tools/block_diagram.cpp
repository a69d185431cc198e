#include "tools/block_diagram.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/error.h"
#include "tools/report_html.h"

namespace hs::tools {

namespace {

// Rows of the grid, top to bottom.
constexpr double kInputRow = 0, kSplitRow = 1, kAddRow = 2, kOpRow = 3, kCatRow = 4, kOutputRow = 5;

std::string group_id(const char* prefix, std::size_t i) { return prefix + std::to_string(i); }

void add_node(BlockDiagram& d, std::string id, std::string kind, std::string label, double column,
              double row) {
  d.nodes.push_back({std::move(id), std::move(kind), std::move(label), column, row});
}

void add_edge(BlockDiagram& d, std::string from, std::string to, std::int64_t channels) {
  d.edges.push_back({std::move(from), std::move(to), channels});
}

// The input, one split per group, the concatenation and the output: what every block has.
void add_frame(BlockDiagram& d, const std::vector<std::int64_t>& widths, std::int64_t channels,
               std::int64_t out_channels, const std::string& stride_note) {
  const double middle = (static_cast<double>(widths.size()) - 1) / 2;
  d.channels = channels;
  add_node(d, "input", "tensor", "input  " + std::to_string(channels) + " ch", middle, kInputRow);
  for (std::size_t i = 0; i < widths.size(); ++i) {
    add_node(d, group_id("x", i), "tensor",
             "x" + std::to_string(i) + "  " + std::to_string(widths[i]) + " ch",
             static_cast<double>(i), kSplitRow);
    add_edge(d, "input", group_id("x", i), widths[i]);
  }
  add_node(d, "cat", "op", "concatenate", middle, kCatRow);
  add_node(d, "output", "tensor", "output  " + std::to_string(out_channels) + " ch" + stride_note,
           middle, kOutputRow);
  add_edge(d, "cat", "output", out_channels);
}

std::string conv_label(std::int64_t in, std::int64_t out, std::int64_t stride,
                       std::int64_t groups) {
  std::ostringstream os;
  os << "conv3x3 " << in << "->" << out;
  if (stride != 1) os << " /" << stride;
  if (groups != 1) os << " g" << groups;
  os << " +BN+ReLU";
  return os.str();
}

}  // namespace

BlockDiagram hs_block_diagram(const nn::HSBlock& block) {
  BlockDiagram d;
  d.title = "HSBlock(" + block.extra_repr() + ")";
  d.table = block.plan_str();
  const std::vector<nn::HSGroupPlan>& plan = block.plan();
  std::vector<std::int64_t> widths;
  for (const nn::HSGroupPlan& g : plan) widths.push_back(g.width);
  const bool strided = block.options().stride == 2;
  add_frame(d, widths, block.channels(), block.channels(), strided ? ", stride 2" : "");
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const nn::HSGroupPlan& g = plan[i];
    const std::string x = group_id("x", i), op = group_id("op", i);
    if (i == 0) {
      if (strided) {
        add_node(d, op, "op", "avgpool3x3 /2", 0, kOpRow);
        add_edge(d, x, op, g.width);
        add_edge(d, op, "cat", g.to_output);
      } else {
        add_edge(d, x, "cat", g.to_output);  // y_1 = x_1
      }
      continue;
    }
    add_node(d, op, "op", conv_label(g.conv_channels, g.conv_channels, strided ? 2 : 1, 1),
             static_cast<double>(i), kOpRow);
    add_edge(d, x, op, g.width);
    if (g.carry_in > 0) add_edge(d, group_id("op", i - 1), op, g.carry_in);
    add_edge(d, op, "cat", g.to_output);
  }
  return d;
}

BlockDiagram res2net_block_diagram(const nn::Res2NetBlock& block) {
  const nn::Res2NetBlockOptions& o = block.options();
  BlockDiagram d;
  d.title = "Res2NetBlock(" + block.extra_repr() + ")";
  const std::size_t s = static_cast<std::size_t>(o.scale);
  const std::int64_t channels = o.scale * o.width;
  add_frame(d, std::vector<std::int64_t>(s, o.width), channels, channels,
            o.stride != 1 ? ", stride " + std::to_string(o.stride) : "");
  std::ostringstream table;
  table << "group  width  input         op\n";
  for (std::size_t i = 0; i < s; ++i) {
    const std::string x = group_id("x", i), op = group_id("op", i);
    const bool last = i + 1 == s;
    std::string input = "x" + std::to_string(i), what;
    if (last) {
      if (o.stage) {
        what = "avgpool3x3";
        add_node(d, op, "op",
                 "avgpool3x3" + (o.stride != 1 ? " /" + std::to_string(o.stride) : std::string()),
                 static_cast<double>(i), kOpRow);
        add_edge(d, x, op, o.width);
        add_edge(d, op, "cat", o.width);
      } else {
        what = "passes through";
        add_edge(d, x, "cat", o.width);
      }
    } else {
      std::string into = x;
      if (i > 0 && !o.stage) {
        const std::string sum = group_id("add", i);
        add_node(d, sum, "add", "+", static_cast<double>(i), kAddRow);
        add_edge(d, x, sum, o.width);
        add_edge(d, group_id("op", i - 1), sum, o.width);
        into = sum;
        input += " + y" + std::to_string(i - 1);
      }
      what = conv_label(o.width, o.width, o.stride, o.cardinality);
      add_node(d, op, "op", what, static_cast<double>(i), kOpRow);
      add_edge(d, into, op, o.width);
      add_edge(d, op, "cat", o.width);
    }
    table << std::setw(5) << i << std::setw(7) << o.width << "  " << std::left << std::setw(12)
          << input << "  " << what << std::right << "\n";
  }
  table << "total in=" << channels << " out=" << channels << "\n";
  d.table = table.str();
  return d;
}

BlockDiagram sk_block_diagram(const nn::SelectiveKernel& block) {
  const nn::SelectiveKernelOptions& o = block.options();
  BlockDiagram d;
  d.title = "SelectiveKernel(" + block.extra_repr() + ")";
  d.channels = o.in_channels;
  const std::int64_t m = o.branches, c = o.out_channels;
  const double middle = (static_cast<double>(m) - 1) / 2;
  add_node(d, "input", "tensor", "input  " + std::to_string(o.in_channels) + " ch", middle,
           kInputRow);
  std::ostringstream table;
  table << "branch  dilation  receptive field  channels\n";
  for (std::int64_t b = 0; b < m; ++b) {
    const std::string id = group_id("op", static_cast<std::size_t>(b));
    std::ostringstream label;
    label << "conv3x3 dil " << b + 1 << (o.stride != 1 ? " /" + std::to_string(o.stride) : "")
          << (o.cardinality != 1 ? " g" + std::to_string(o.cardinality) : "") << " +BN+ReLU";
    add_node(d, id, "op", label.str(), static_cast<double>(b), kSplitRow);
    add_edge(d, "input", id, o.in_channels);
    add_edge(d, id, "sum", c);
    add_edge(d, id, "select", c);
    table << std::setw(6) << b << std::setw(10) << b + 1 << std::setw(11) << 2 * b + 3 << "x"
          << std::left << std::setw(6) << 2 * b + 3 << std::right << std::setw(9) << c << "\n";
  }
  add_node(d, "sum", "add", "+", middle, kAddRow);
  add_node(d, "attn", "op",
           "pool, fc " + std::to_string(c) + "->" + std::to_string(o.attention) + "->" +
               std::to_string(m * c) + " +softmax over branches",
           middle, kOpRow);
  add_edge(d, "sum", "attn", c);
  add_node(d, "select", "op", "weighted sum", middle, kCatRow);
  add_edge(d, "attn", "select", m * c);
  add_node(d, "output", "tensor",
           "output  " + std::to_string(c) + " ch" +
               (o.stride != 1 ? ", stride " + std::to_string(o.stride) : std::string()),
           middle, kOutputRow);
  add_edge(d, "select", "output", c);
  table << "attention: global pool, " << c << " -> " << o.attention << " (BN, ReLU) -> " << m
        << " x " << c << " logits, softmax over the " << m << " branches per channel\n";
  d.table = table.str();
  return d;
}

namespace {

constexpr double kColumnWidth = 220, kRowHeight = 92, kBoxHeight = 34, kMargin = 30,
                 kTitleHeight = 40;

struct Placed {
  double cx, cy, half_w, half_h;
};

Placed place(const DiagramNode& n) {
  const double half_w = n.kind == "add" ? 14 : (n.kind == "op" ? 80 : 70);
  const double half_h =
      n.kind == "add" ? 14 : (n.kind == "op" ? kBoxHeight / 2 + 6 : kBoxHeight / 2);
  return {kMargin + kColumnWidth * (n.column + 0.5),
          kTitleHeight + kMargin + kRowHeight * n.row + kBoxHeight / 2, half_w, half_h};
}

}  // namespace

std::string diagram_svg(const BlockDiagram& d) {
  double columns = 1, rows = 1;
  std::map<std::string, Placed> at;
  for (const DiagramNode& n : d.nodes) {
    columns = std::max(columns, n.column + 1);
    rows = std::max(rows, n.row + 1);
    at[n.id] = place(n);
  }
  // Wide enough for the columns and for the title (about 9 px a character at 15 px).
  const double width = std::max(2 * kMargin + kColumnWidth * columns,
                                2 * kMargin + 9.0 * static_cast<double>(d.title.size()));
  const double height = kTitleHeight + 2 * kMargin + kRowHeight * (rows - 1) + kBoxHeight;
  std::ostringstream os;
  os << std::fixed << std::setprecision(1);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" viewBox=\"0 0 " << width << " " << height << "\">\n"
     << "<style>text{font-family:sans-serif;font-size:12px}.title{font-size:15px;font-weight:bold}"
        ".tensor rect{fill:#e8f0fe;stroke:#3367d6}.op rect{fill:#fef7e0;stroke:#e37400}"
        ".add circle{fill:#e6f4ea;stroke:#188038}.edge path{fill:none;stroke:#555;stroke-width:1.4}"
        ".edge text{fill:#b00020;font-weight:bold}</style>\n"
     << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
        "fill=\"#555\"/></marker></defs>\n"
     << "<text class=\"title\" x=\"" << kMargin << "\" y=\"" << kMargin << "\">"
     << html_escape(d.title) << "</text>\n";
  for (const DiagramEdge& e : d.edges) {
    HS_CHECK(at.count(e.from) && at.count(e.to), "explain: edge ", e.from, " -> ", e.to,
             " names a node the diagram lacks");
    const Placed& a = at[e.from];
    const Placed& b = at[e.to];
    // Within a row, or upwards, an edge leaves the right side; otherwise it leaves the
    // bottom, runs straight down past the rows it skips and bends into its target.
    const bool sideways = b.cy <= a.cy;
    const double x0 = sideways ? a.cx + a.half_w : a.cx, y0 = sideways ? a.cy : a.cy + a.half_h;
    const double x1 = sideways ? b.cx - b.half_w : b.cx, y1 = sideways ? b.cy : b.cy - b.half_h;
    const double ys =
        sideways ? y0 : std::max(y0, y1 - kRowHeight * 0.6);  // end of the straight run
    os << "<g class=\"edge\" data-from=\"" << e.from << "\" data-to=\"" << e.to
       << "\" data-channels=\"" << e.channels << "\"><path marker-end=\"url(#arrow)\" d=\"M" << x0
       << "," << y0;
    if (sideways) {
      const double bend = (x1 - x0) / 2;
      os << " C" << x0 + bend << "," << y0 << " " << x1 - bend << "," << y1;
    } else {
      const double bend = (y1 - ys) / 2;
      os << " L" << x0 << "," << ys << " C" << x0 << "," << ys + bend << " " << x1 << ","
         << y1 - bend;
    }
    // The count sits on the straight run when there is one, else at the curve's middle.
    const bool on_run = !sideways && ys - y0 > 20;
    const double label_x = on_run ? x0 + 5 : (x0 + x1) / 2 + 5;
    const double label_y = sideways ? (y0 + y1) / 2 - 4
                           : on_run ? (y0 + ys) / 2 + 4
                                    : (ys + y1) / 2 + 4;
    os << " " << x1 << "," << y1 << "\"/><text x=\"" << label_x << "\" y=\"" << label_y << "\">"
       << e.channels << "</text></g>\n";
  }
  for (const DiagramNode& n : d.nodes) {
    const Placed& p = at[n.id];
    os << "<g class=\"node " << n.kind << "\" data-id=\"" << n.id << "\">";
    if (n.kind == "add")
      os << "<circle cx=\"" << p.cx << "\" cy=\"" << p.cy << "\" r=\"" << p.half_w << "\"/>";
    else
      os << "<rect x=\"" << p.cx - p.half_w << "\" y=\"" << p.cy - p.half_h << "\" width=\""
         << 2 * p.half_w << "\" height=\"" << 2 * p.half_h << "\" rx=\"5\"/>";
    // An op's label breaks before its "+BN+ReLU" so the box stays narrow.
    const std::size_t cut = n.kind == "op" ? n.label.find(" +") : std::string::npos;
    if (cut == std::string::npos) {
      os << "<text x=\"" << p.cx << "\" y=\"" << p.cy + 4 << "\" text-anchor=\"middle\">"
         << html_escape(n.label) << "</text></g>\n";
    } else {
      os << "<text x=\"" << p.cx << "\" y=\"" << p.cy - 3 << "\" text-anchor=\"middle\">"
         << html_escape(n.label.substr(0, cut)) << "<tspan x=\"" << p.cx << "\" dy=\"15\">"
         << html_escape(n.label.substr(cut + 1)) << "</tspan></text></g>\n";
    }
  }
  os << "</svg>\n";
  return os.str();
}

}  // namespace hs::tools
