"""PyTorch twins of hsnet's models (models/*.cpp, nn/hs_block.cpp, nn/res2net_block.cpp,
nn/sk_block.cpp).

Each model here computes the same function as the hsnet model of the same name and options
and has the same state-dict keys and shapes, so an hsnet checkpoint loads strictly:

    model = create_model("hs_resnet29_cifar", s=6, ratio=0.25)
    load_hsnet_checkpoint(model, "run/model.safetensors")

hsnet fuses BN and the ReLU after it; here they are two calls. Plain PyTorch (1.13), no
other dependency but numpy; used by bench/crosscheck.py and by the speed comparisons.
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def conv(cin, cout, kernel, stride=1):
    """Bias-free conv with 'same' padding for odd kernels, as models/blocks.cpp builds them."""
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)


def make_downsample(cin, cout, stride):
    """conv1x1(stride) -> BN projection shortcut, or None when the shape does not change."""
    if cin == cout and stride == 1:
        return None
    return nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))


class HSBlock(nn.Module):
    """Hierarchical-Split block: splits C channels into groups w_1..w_s; see nn/hs_block.h.

    Stride 1: group 1 passes through; group i >= 2 convolves cat(x_i, carry_{i-1}) with a
    conv3x3 -> BN -> ReLU and passes floor(r * c_i) channels (trailing, or leading with
    carry_leading) on to the next group. Stride 2: group 1 is average-pooled 3x3/2, every
    other group has its own strided conv3x3 -> BN -> ReLU, and nothing is carried.
    """

    def __init__(self, splits=4, width=8, widths=None, ratio=0.5, carry_leading=False, stride=1):
        super().__init__()
        widths = list(widths) if widths else [width] * splits
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"HSBlock: needs >= 2 groups of width >= 1, got {widths}")
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"HSBlock: carry ratio must be in [0, 1), got {ratio}")
        if stride not in (1, 2):
            raise ValueError(f"HSBlock: stride must be 1 or 2, got {stride}")
        self.widths = widths
        self.ratio = ratio
        self.carry_leading = carry_leading
        self.stride = stride
        # Per group i >= 2: (channels carried in, channels carried out, channels kept).
        self.plan = []
        carry = 0
        for i, w in enumerate(widths[1:], start=1):
            carry_in = 0 if stride == 2 else carry
            c = w + carry_in
            last = i == len(widths) - 1
            carry_out = 0 if stride == 2 or last else int(math.floor(ratio * c))
            self.plan.append((carry_in, carry_out, c - carry_out))
            carry = carry_out
        channels = [w + p[0] for w, p in zip(widths[1:], self.plan)]
        self.convs = nn.ModuleList(nn.Conv2d(c, c, 3, stride, 1, bias=False) for c in channels)
        self.bns = nn.ModuleList(nn.BatchNorm2d(c) for c in channels)

    @property
    def channels(self):
        return sum(self.widths)

    def forward(self, x):
        xs = torch.split(x, self.widths, dim=1)
        outs = [F.avg_pool2d(xs[0], 3, 2, 1) if self.stride == 2 else xs[0]]
        carry = None
        for i, (conv_i, bn_i, (carry_in, carry_out, keep)) in enumerate(
                zip(self.convs, self.bns, self.plan), start=1):
            group_input = torch.cat((xs[i], carry), dim=1) if carry_in else xs[i]
            y = F.relu(bn_i(conv_i(group_input)), inplace=True)
            if carry_out == 0:
                outs.append(y)
                carry = None
            elif self.carry_leading:
                carry, kept = torch.split(y, (carry_out, keep), dim=1)
                outs.append(kept)
            else:
                kept, carry = torch.split(y, (keep, carry_out), dim=1)
                outs.append(kept)
        return torch.cat(outs, dim=1)

    def extra_repr(self):
        return (f"s={len(self.widths)}, widths={self.widths}, r={self.ratio}, "
                f"stride={self.stride}" + (", carry=leading" if self.carry_leading else ""))


class BasicBlock(nn.Module):
    """conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, + shortcut, ReLU."""
    expansion = 1

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = conv(cin, planes, 3, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, planes, 3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = make_downsample(cin, planes, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        y += self.downsample(x) if self.downsample is not None else x
        return F.relu(y, inplace=True)


class Bottleneck(nn.Module):
    """torchvision's v1.5 bottleneck: 1x1 -> 3x3(stride) -> 1x1 (x4), + shortcut, ReLU."""
    expansion = 4

    def __init__(self, cin, planes, stride=1, width=None):
        super().__init__()
        width = width or planes
        self.conv1 = conv(cin, width, 1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv(width, width, 3, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv(width, planes * 4, 1)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = make_downsample(cin, planes * 4, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = F.relu(self.bn2(self.conv2(y)), inplace=True)
        y = self.bn3(self.conv3(y))
        y += self.downsample(x) if self.downsample is not None else x
        return F.relu(y, inplace=True)


class HSBottleneck(nn.Module):
    """conv1x1 -> BN -> ReLU -> HSBlock(stride) -> conv1x1 (x4) -> BN, + shortcut, ReLU.

    With plain_downsample a strided block has a full-width conv3x3(stride) -> BN -> ReLU
    (module "conv2", a Sequential) in place of the HSBlock (module "hs").
    """
    expansion = 4

    def __init__(self, cin, planes, stride=1, splits=4, width=8, ratio=0.5,
                 carry_leading=False, plain_downsample=False):
        super().__init__()
        channels = splits * width
        self.conv1 = conv(cin, channels, 1)
        self.bn1 = nn.BatchNorm2d(channels)
        if stride != 1 and plain_downsample:
            self.conv2 = nn.Sequential(conv(channels, channels, 3, stride),
                                       nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
            self.hs = None
        else:
            self.hs = HSBlock(splits, width, ratio=ratio, carry_leading=carry_leading,
                              stride=stride)
        self.conv3 = conv(channels, planes * 4, 1)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = make_downsample(cin, planes * 4, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn3(self.conv3(self.hs(y) if self.hs is not None else self.conv2(y)))
        y += self.downsample(x) if self.downsample is not None else x
        return F.relu(y, inplace=True)


class Res2NetBottleneck(nn.Module):
    """conv1x1 -> BN -> ReLU -> Res2Net hierarchy -> conv1x1 (x4) -> BN, + shortcut, ReLU.

    The hierarchy splits scale*width channels into groups x_0..x_{s-1}: y_0 = K_0(x_0),
    y_i = K_i(x_i + y_{i-1}) up to i = s-2, and the last group passes through; in the stage
    block (stride or shape change) there are no additions and the last group is average-
    pooled 3x3 (stride, pad 1, padding counted). K_i = conv3x3(groups=cardinality) -> BN -> ReLU.
    """
    expansion = 4

    def __init__(self, cin, planes, stride=1, scale=4, width=26, cardinality=1):
        super().__init__()
        inner = scale * width
        self.stage = stride != 1 or cin != planes * 4
        self.scale, self.width = scale, width
        self.conv1 = conv(cin, inner, 1)
        self.bn1 = nn.BatchNorm2d(inner)
        self.convs = nn.ModuleList(
            nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=cardinality, bias=False)
            for _ in range(scale - 1))
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, 1) if self.stage else None
        self.conv3 = conv(inner, planes * 4, 1)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = make_downsample(cin, planes * 4, stride)

    def forward(self, x):
        xs = torch.split(F.relu(self.bn1(self.conv1(x))), self.width, 1)
        ys = []
        for i, (k, b) in enumerate(zip(self.convs, self.bns)):
            inp = xs[i] if i == 0 or self.stage else xs[i] + ys[-1]
            ys.append(F.relu(b(k(inp))))
        ys.append(self.pool(xs[-1]) if self.pool is not None else xs[-1])
        y = self.bn3(self.conv3(torch.cat(ys, 1)))
        y = y + (self.downsample(x) if self.downsample is not None else x)
        return F.relu(y)


def make_divisible(v, divisor):
    """timm's rounding of the SK attention width (nn::make_divisible)."""
    rounded = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


class SelectiveKernelPath(nn.Module):
    def __init__(self, channels, stride, dilation, groups):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=stride, padding=dilation,
                              dilation=dilation, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SelectiveKernelAttention(nn.Module):
    def __init__(self, channels, attention, branches):
        super().__init__()
        self.fc_reduce = nn.Conv2d(channels, attention, 1, bias=False)
        self.bn = nn.BatchNorm2d(attention)
        self.fc_select = nn.Conv2d(attention, channels * branches, 1, bias=False)

    def forward(self, pooled):
        return self.fc_select(F.relu(self.bn(self.fc_reduce(pooled))))


class SelectiveKernel(nn.Module):
    """M branches of conv3x3 with dilation 1..M -> BN -> ReLU; their sum pooled, squeezed and
    selected into per-channel softmax weights over the branches; the weighted sum."""

    def __init__(self, channels, stride=1, branches=2, groups=1, attention=32):
        super().__init__()
        self.paths = nn.ModuleList(SelectiveKernelPath(channels, stride, m + 1, groups)
                                   for m in range(branches))
        self.attn = SelectiveKernelAttention(channels, attention, branches)
        self.branches, self.channels = branches, channels

    def forward(self, x):
        u = torch.stack([path(x) for path in self.paths], 1)  # [N, M, C, H, W]
        logits = self.attn(u.sum(1).mean((2, 3), keepdim=True))
        weights = torch.softmax(logits.view(x.shape[0], self.branches, self.channels, 1, 1), 1)
        return (u * weights).sum(1)


class SKBottleneck(nn.Module):
    """conv1x1 -> BN -> ReLU -> SelectiveKernel(stride) -> conv1x1 (x4) -> BN, + shortcut, ReLU."""
    expansion = 4

    def __init__(self, cin, planes, stride, width, groups, attention):
        super().__init__()
        self.conv1 = conv(cin, width, 1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = SelectiveKernel(width, stride, 2, groups, attention)
        self.conv3 = conv(width, planes * 4, 1)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = make_downsample(cin, planes * 4, stride)

    def forward(self, x):
        y = self.bn3(self.conv3(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        y = y + (self.downsample(x) if self.downsample is not None else x)
        return F.relu(y)


class ResNet(nn.Module):
    """Stem conv -> BN -> ReLU [-> maxpool 3x3/2], stages layer1..layerK, global average
    pool, flatten, fc — the skeleton of models/resnet.cpp with torchvision's names."""

    def __init__(self, stem_channels, stem_kernel, stem_stride, max_pool, stages, features,
                 classes, in_channels):
        super().__init__()
        if in_channels < 1 or classes < 1:
            raise ValueError(f"ResNet: in_channels {in_channels} and classes {classes} "
                             "must be >= 1")
        self.conv1 = conv(in_channels, stem_channels, stem_kernel, stem_stride)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if max_pool else None
        for k, blocks in enumerate(stages, start=1):
            setattr(self, f"layer{k}", nn.Sequential(*blocks))
        self.num_stages = len(stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        if self.maxpool is not None:
            y = self.maxpool(y)
        for k in range(1, self.num_stages + 1):
            y = getattr(self, f"layer{k}")(y)
        return self.fc(self.flatten(self.avgpool(y)))


def _stages(blocks_per_stage, planes, make_block, expansion, cin):
    """Stages of blocks; the first block of every stage but the first has stride 2."""
    stages = []
    for k, (blocks, p) in enumerate(zip(blocks_per_stage, planes)):
        stage = []
        for b in range(blocks):
            stage.append(make_block(k, cin, p, 2 if k > 0 and b == 0 else 1))
            cin = p * expansion
        stages.append(stage)
    return stages, cin


def _check_hs(s, ratio):
    if s < 2:
        raise ValueError(f"model: s (split number) must be >= 2, got {s}")
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"model: ratio (carry ratio) must be in [0, 1), got {ratio}")


def hs_resnet_cifar(depth, s=4, w0=8, ratio=0.5, carry_leading=False, classes=10, in_channels=3):
    """Depth 9n+2: three stages of n HS bottlenecks (planes 16, 32, 64), w = w0 * 2^stage."""
    if depth < 11 or (depth - 2) % 9:
        raise ValueError(f"hs_resnet_cifar: depth must be 9n+2, got {depth}")
    _check_hs(s, ratio)
    n = (depth - 2) // 9
    stages, features = _stages(
        [n] * 3, [16, 32, 64],
        lambda k, cin, p, stride: HSBottleneck(cin, p, stride, s, w0 << k, ratio, carry_leading),
        4, 16)
    return ResNet(16, 3, 1, False, stages, features, classes, in_channels)


_IMAGENET_BLOCKS = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


def hs_resnet_imagenet(depth, s=8, ratio=0.5, carry_leading=False, downsample_block="stage",
                       base_width=64, classes=1000, in_channels=3):
    """ImageNet layout with HS bottlenecks: width = planes * base_width / 64, w = width / s."""
    _check_hs(s, ratio)
    if downsample_block not in ("stage", "plain"):
        raise ValueError(f"downsample_block must be 'stage' or 'plain', got {downsample_block!r}")
    planes = [64, 128, 256, 512]
    for p in planes:
        if p * base_width // 64 % s:
            raise ValueError(f"hs_resnet{depth}: stage width {p * base_width // 64} "
                             f"is not divisible by s={s}")
    stages, features = _stages(
        _IMAGENET_BLOCKS[depth], planes,
        lambda k, cin, p, stride: HSBottleneck(cin, p, stride, s, p * base_width // 64 // s,
                                               ratio, carry_leading, downsample_block == "plain"),
        4, 64)
    return ResNet(64, 7, 2, True, stages, features, classes, in_channels)


def resnet_cifar(depth, classes=10, in_channels=3):
    """Depth 6n+2: three stages of n basic blocks (16, 32, 64), projection shortcuts."""
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"resnet_cifar: depth must be 6n+2, got {depth}")
    n = (depth - 2) // 6
    stages, features = _stages([n] * 3, [16, 32, 64],
                               lambda k, cin, p, stride: BasicBlock(cin, p, stride), 1, 16)
    return ResNet(16, 3, 1, False, stages, features, classes, in_channels)


def resnet50(classes=1000, in_channels=3, base_width=64):
    """torchvision's ResNet-50 (v1.5)."""
    stages, features = _stages(
        _IMAGENET_BLOCKS[50], [64, 128, 256, 512],
        lambda k, cin, p, stride: Bottleneck(cin, p, stride, p * base_width // 64), 4, 64)
    return ResNet(64, 7, 2, True, stages, features, classes, in_channels)


def res2net_width(planes, base_width, cardinality):
    """A stage's split width as the released Res2Net code computes it."""
    return planes * base_width // 64 * cardinality


def res2net_imagenet(depth, base_width, scale, cardinality, classes=1000, in_channels=3):
    planes = [64, 128, 256, 512]
    stages, features = _stages(
        _IMAGENET_BLOCKS[depth], planes,
        lambda k, cin, p, stride: Res2NetBottleneck(
            cin, p, stride, scale, res2net_width(p, base_width, cardinality), cardinality),
        4, 64)
    return ResNet(64, 7, 2, True, stages, features, classes, in_channels)


def res2net_cifar(depth, s=4, w0=8, classes=10, in_channels=3):
    """hs_resnet_cifar's layout with the Res2Net bottleneck: split width w0 * 2^stage."""
    if depth < 11 or (depth - 2) % 9:
        raise ValueError(f"res2net_cifar: depth must be 9n+2, got {depth}")
    n = (depth - 2) // 9
    stages, features = _stages(
        [n] * 3, [16, 32, 64],
        lambda k, cin, p, stride: Res2NetBottleneck(cin, p, stride, s, w0 << k), 4, 16)
    return ResNet(16, 3, 1, False, stages, features, classes, in_channels)


def res2next29_cifar(cardinality, base_width, scale, classes=10, in_channels=3):
    """The ResNeXt-29 CIFAR layout (stem of 64, planes 64, 128, 256) with Res2NeXt blocks."""
    stages, features = _stages(
        [3, 3, 3], [64, 128, 256],
        lambda k, cin, p, stride: Res2NetBottleneck(
            cin, p, stride, scale, res2net_width(p, base_width, cardinality), cardinality),
        4, 64)
    return ResNet(64, 3, 1, False, stages, features, classes, in_channels)


def skresnext50_32x4d(classes=1000, in_channels=3):
    """SKNet-50: ResNeXt-50 32x4d with two-branch SK convolutions."""
    def block(k, cin, p, stride):
        width = p * 4 // 64 * 32
        return SKBottleneck(cin, p, stride, width, 32, make_divisible(width / 16, 32))
    stages, features = _stages(_IMAGENET_BLOCKS[50], [64, 128, 256, 512], block, 4, 64)
    return ResNet(64, 7, 2, True, stages, features, classes, in_channels)


def skresnet_cifar(depth, s=4, w0=8, classes=10, in_channels=3):
    """hs_resnet_cifar's layout with SK bottlenecks of width s * w0 * 2^stage."""
    if depth < 11 or (depth - 2) % 9:
        raise ValueError(f"skresnet_cifar: depth must be 9n+2, got {depth}")
    n = (depth - 2) // 9

    def block(k, cin, p, stride):
        width = (s * w0) << k
        return SKBottleneck(cin, p, stride, width, 1, make_divisible(width / 16, 8))
    stages, features = _stages([n] * 3, [16, 32, 64], block, 4, 16)
    return ResNet(16, 3, 1, False, stages, features, classes, in_channels)


_BLOCK_DEFAULTS = {  # the ImageNet skeleton's defaults per block (models/registry.cpp)
    "basic": {}, "bottleneck": {"base_width": 64}, "hs": {"s": 8, "base_width": 64},
    "res2net": {"s": 4, "base_width": 26}, "sk": {"base_width": 4, "cardinality": 32},
}


def _skeleton_block(block, s, ratio, carry_leading, cardinality, plain, attention_divisor):
    """make_block(k, cin, planes, stride, width) of one block kind; `width` is one group's
    width for hs and res2net, the middle's width otherwise."""
    if block == "basic":
        return lambda cin, p, stride, width: BasicBlock(cin, p, stride), 1
    if block == "bottleneck":
        if cardinality != 1:
            raise ValueError("cardinality needs the res2net or sk block")
        return lambda cin, p, stride, width: Bottleneck(cin, p, stride, width), 4
    if block == "hs":
        _check_hs(s, ratio)
        return (lambda cin, p, stride, width:
                HSBottleneck(cin, p, stride, s, width, ratio, carry_leading, plain)), 4
    if block == "res2net":
        return (lambda cin, p, stride, width:
                Res2NetBottleneck(cin, p, stride, s, width, cardinality)), 4
    if block == "sk":
        return (lambda cin, p, stride, width: SKBottleneck(
            cin, p, stride, width, cardinality, make_divisible(width / 16, attention_divisor))), 4
    raise ValueError(f"model: unknown block {block!r}")


def cifar_resnet(block="hs", depth=None, s=4, w0=8, ratio=0.5, carry_leading=False,
                 cardinality=1, classes=10, in_channels=3):
    """The CIFAR skeleton (models/skeleton.h): stage k's middle is s groups of w0 * 2^k
    channels (s * w0 * 2^k for the bottleneck and SK blocks)."""
    layers = 6 if block == "basic" else 9
    depth = depth if depth is not None else (20 if block == "basic" else 29)
    if depth < layers + 2 or (depth - 2) % layers:
        raise ValueError(f"cifar_resnet: depth must be {layers // 3}n+2 for {block}, got {depth}")
    make, expansion = _skeleton_block(block, s, ratio, carry_leading, cardinality, False, 8)
    grouped = block in ("hs", "res2net")
    n = (depth - 2) // layers
    stages, features = _stages(
        [n] * 3, [16, 32, 64],
        lambda k, cin, p, stride: make(cin, p, stride, (w0 << k) * (1 if grouped else s)),
        expansion, 16)
    return ResNet(16, 3, 1, False, stages, features, classes, in_channels)


def imagenet_resnet(block="hs", depth=None, classes=1000, in_channels=3, downsample_block="stage",
                    ratio=0.5, carry_leading=False, **options):
    """The ImageNet skeleton (models/skeleton.h) with each block's published conventions."""
    o = {"s": 4, "base_width": 64, "cardinality": 1, **_BLOCK_DEFAULTS[block], **options}
    depth = depth if depth is not None else (18 if block == "basic" else 50)
    blocks = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]} if block == "basic" else _IMAGENET_BLOCKS
    make, expansion = _skeleton_block(block, o["s"], ratio, carry_leading, o["cardinality"],
                                      downsample_block == "plain", 32)

    def width(p):
        w = p * o["base_width"] // 64
        if block == "hs":
            return w // o["s"]
        return res2net_width(p, o["base_width"], o["cardinality"]) if block == "res2net" \
            else w * o["cardinality"]
    stages, features = _stages(blocks[depth], [64, 128, 256, 512],
                               lambda k, cin, p, stride: make(cin, p, stride, width(p)),
                               expansion, 64)
    return ResNet(64, 7, 2, True, stages, features, classes, in_channels)


RES2NET_PRESETS = {  # name: (depth, width per split, scale, cardinality)
    "res2net50_26w_4s": (50, 26, 4, 1), "res2net50_26w_6s": (50, 26, 6, 1),
    "res2net50_26w_8s": (50, 26, 8, 1), "res2net50_48w_2s": (50, 48, 2, 1),
    "res2net50_14w_8s": (50, 14, 8, 1), "res2net101_26w_4s": (101, 26, 4, 1),
    "res2next50": (50, 4, 4, 8),
}


def _registry():
    models = {}
    for depth in (29, 56, 110, 164):
        models[f"hs_resnet{depth}_cifar"] = lambda d=depth, **o: hs_resnet_cifar(d, **o)
    for depth in (50, 101, 152):
        models[f"hs_resnet{depth}"] = lambda d=depth, **o: hs_resnet_imagenet(d, **o)
    for depth in (20, 32, 44, 56, 110):
        models[f"resnet{depth}_cifar"] = lambda d=depth, **o: resnet_cifar(d, **o)
    models["resnet50"] = lambda **o: resnet50(**o)
    for depth in (29, 56, 110, 164):
        models[f"res2net{depth}_cifar"] = lambda d=depth, **o: res2net_cifar(d, **o)
    for name, preset in RES2NET_PRESETS.items():
        models[name] = lambda p=preset, **o: res2net_imagenet(*p, **o)
    models["res2next29_6c24w4s"] = lambda **o: res2next29_cifar(6, 24, 4, **o)
    for depth in (29, 56, 110, 164):
        models[f"skresnet{depth}_cifar"] = lambda d=depth, **o: skresnet_cifar(d, **o)
    models["skresnext50_32x4d"] = lambda **o: skresnext50_32x4d(**o)
    models["cifar_resnet"] = cifar_resnet
    models["imagenet_resnet"] = imagenet_resnet
    return models


def input_size(name):
    """The image side a model is laid out for (models::model_input_size): 32 for the CIFAR
    layouts, 224 for ImageNet's."""
    cifar = name.endswith("_cifar") or name.startswith("res2next29") or name == "cifar_resnet"
    return 32 if cifar else 224


MODELS = _registry()


def model_names():
    return sorted(MODELS)


def create_model(name, **options):
    """The twin of hsnet's models::create_model(name, options); unknown names or options
    raise ValueError / TypeError."""
    if name not in MODELS:
        raise ValueError(f"model: unknown model {name!r} (valid: {', '.join(model_names())})")
    return MODELS[name](**options)


_DTYPES = {"F32": (np.float32, torch.float32), "F64": (np.float64, torch.float64),
           "I64": (np.int64, torch.int64)}


def load_safetensors(path):
    """Reads a safetensors file (8-byte little-endian header length, JSON header, raw data)
    into ({name: CPU tensor}, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ValueError(f"{path}: header length {header_len} exceeds the file size {len(data)}")
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    body = memoryview(data)[8 + header_len:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {entry['dtype']}")
        np_dtype, _ = _DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * np.dtype(np_dtype).itemsize or end > len(body):
            raise ValueError(f"{path}: tensor {name!r} byte range [{begin}, {end}) does not "
                             f"match shape {list(shape)} {entry['dtype']}")
        array = np.frombuffer(body[begin:end], dtype=np.dtype(np_dtype).newbyteorder("<"),
                              count=count)
        tensors[name] = torch.from_numpy(array.astype(np_dtype, copy=True).reshape(shape))
    return tensors, metadata


def load_hsnet_checkpoint(model, path):
    """Loads an hsnet checkpoint (nn::save) into `model`, strictly: every key, every shape."""
    tensors, _ = load_safetensors(path)
    model.load_state_dict(tensors, strict=True)
    return model
