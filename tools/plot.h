#pragma once
// Training curves as a self-contained SVG: loss (train, test) on the left panel and
// accuracy (train, test) on the right, one point per epoch.
#include <string>
#include <vector>

namespace hs::tools {

struct EpochPoint {
  double epoch = 0, train_loss = 0, test_loss = 0, train_acc = 0, test_acc = 0;
};

std::string curves_svg(const std::vector<EpochPoint>& points, const std::string& title);

}  // namespace hs::tools
