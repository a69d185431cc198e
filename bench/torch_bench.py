"""The PyTorch twin of `hsnet bench` (tools/cmd_bench.cpp): training-step or inference
throughput of a model twin (bench/torch_models.py) on synthetic input, warm-up excluded.

    /usr/bin/python3 bench/torch_bench.py --model hs_resnet29_cifar --batch 128 --mode train

Each step does what hsnet's does: in train mode zero the gradients (set to None), forward,
cross-entropy against labels i % classes, backward and (unless --optimizer none) an SGD step
(lr 0.05, momentum 0.9, weight decay 5e-4); in infer mode a forward in eval mode without
autograd, on batch-norm statistics calibrated first by --calibrate train-mode forward passes. Seeds and the input shape follow hsnet's (N x C x S x S
standard normal input, S = 32 for CIFAR models and 224 otherwise). The last line has hsnet's
machine-readable format:

    bench: model=NAME mode=MODE batch=B img_per_s=<float> ms_per_step=<float> peak_rss_mb=<float>
"""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402
from torch_train import init_like_hsnet  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="hs_resnet29_cifar", help="model name")
    p.add_argument("--s", type=int, help="HS split number s (>= 2)")
    p.add_argument("--w0", type=int, help="HS CIFAR group width of the first stage")
    p.add_argument("--ratio", type=float, help="HS carry ratio r in [0, 1)")
    p.add_argument("--carry-leading", action="store_true", help="carry the leading channels")
    p.add_argument("--downsample-block", help="HS ImageNet: stage | plain")
    p.add_argument("--classes", type=int, help="number of classes")
    p.add_argument("--in-channels", type=int, help="input channels")
    p.add_argument("--batch", type=int, default=128, help="batch size")
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--mode", default="train", choices=("train", "infer"))
    p.add_argument("--size", type=int, default=0,
                   help="input height and width (default 32, ImageNet models 224)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: all cores)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--optimizer", default="sgd", choices=("sgd", "none"),
                   help="train mode: sgd (the step includes it) | none")
    p.add_argument("--calibrate", type=int, default=2,
                   help="infer mode: train-mode forward passes that set the batch-norm statistics")
    p.add_argument("--fold-bn", action="store_true",
                   help="infer mode: fold each batch norm into the convolution before it, as "
                        "hsnet bench --fold-bn does (torch.nn.utils.fusion.fuse_conv_bn_eval)")
    args = p.parse_args(argv)
    if args.batch < 1 or args.steps < 1 or args.warmup < 0:
        p.error("--batch and --steps must be >= 1, --warmup >= 0")
    return args


def fold_batch_norms(model, sample):
    """Replaces each eval-mode BatchNorm2d whose input is the output of a Conv2d by the
    identity, and that convolution by the folded one (PyTorch's own fuse_conv_bn_eval). The
    pairs are found by running `sample` once and matching the tensors that pass between
    modules (kept alive meanwhile, so no id is reused), so it works on any model (torch.fx's
    fuse fails to trace the HS blocks)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    produced, pairs, hooks = {}, [], []
    names = {m: n for n, m in model.named_modules()}
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out: produced.__setitem__(id(out), (mod, out))))
        elif isinstance(m, torch.nn.BatchNorm2d):
            hooks.append(m.register_forward_pre_hook(
                lambda mod, inp: pairs.append((produced.get(id(inp[0]), (None,))[0], mod))))
    with torch.no_grad():
        model(sample)
    for h in hooks:
        h.remove()

    def replace(name, new):
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, child, new)

    for conv, bn in pairs:
        if conv is not None:
            replace(names[conv], fuse_conv_bn_eval(conv, bn))
            replace(names[bn], torch.nn.Identity())
    return model


def model_options(args):
    """The registry options given on the command line, as hsnet's ModelArgs passes them."""
    options = {}
    for key in ("s", "w0", "ratio", "downsample_block", "classes", "in_channels"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.carry_leading:
        options["carry_leading"] = True
    return options


def peak_rss_mb():
    """Peak resident set size in MB, computed as hsnet does (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    args = parse_args(argv)
    threads = args.threads if args.threads > 0 else os.cpu_count()
    torch.set_num_threads(threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_bench: --device cuda but this PyTorch sees no CUDA device")
        torch.backends.cudnn.benchmark = True
    options = model_options(args)
    native = torch_models.input_size(args.model)
    channels = options.get("in_channels", 3)
    classes = options.get("classes", 10 if native == 32 else 1000)
    size = args.size if args.size > 0 else native

    torch.manual_seed(0)
    model = init_like_hsnet(torch_models.create_model(args.model, **options)).to(device)
    train = args.mode == "train"
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(args.batch, channels, size, size, generator=generator).to(device)
    labels = (torch.arange(args.batch) % classes).to(device)
    if not train:
        # As hsnet bench: a batch-1 run calibrates on two images (train-mode BN needs two
        # values per channel).
        calibration = images if args.batch >= 2 else torch.randn(
            2, channels, size, size, generator=generator).to(device)
        model.train(True)
        with torch.no_grad():
            for _ in range(args.calibrate):
                model(calibration)
    model.train(train)
    if args.fold_bn and not train:
        # Two images find the pairs: the hooks hold every convolution's output meanwhile,
        # which at the full batch would raise the peak RSS this benchmark reports.
        model = fold_batch_norms(model, calibration[:2])
    sgd = None
    if train and args.optimizer == "sgd":
        sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def step():
        if train:
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model(images), labels).backward()
            if sgd is not None:
                sgd.step()
        else:
            with torch.no_grad():
                model(images)
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    ms = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000.0)
    ms.sort()
    median = ms[len(ms) // 2]
    print(f"steps: min {ms[0]:.1f} ms, median {median:.1f} ms, max {ms[-1]:.1f} ms "
          f"(threads {torch.get_num_threads()})")
    print(f"bench: model={args.model} mode={args.mode} batch={args.batch} "
          f"img_per_s={args.batch * 1000.0 / median:.2f} ms_per_step={median:.2f} "
          f"peak_rss_mb={peak_rss_mb():.1f}", flush=True)


if __name__ == "__main__":
    main()
