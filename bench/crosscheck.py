"""Cross-check: hsnet and its PyTorch twins (bench/torch_models.py) compute the same function.

For each case, `hsnet export` builds the model with a fixed seed, moves every BatchNorm's
statistics and affine parameters away from the identity, and writes the weights, an input
batch and the eval-mode logits it computes. The twin loads the weights strictly (same keys,
same shapes), runs the same input in eval mode and the logits are compared.

    /usr/bin/python3 bench/crosscheck.py --hsnet build/tools/hsnet [--models NAME ...]

Prints one line per case and then `crosscheck: PASS` (exit 0) or `crosscheck: FAIL` (exit 1);
without PyTorch, `crosscheck: SKIPPED (...)` and exit 77.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SKIP = 77


def case(model, input_chw, batch=2, **options):
    """One cross-check: a registry model name, its options and the input size."""
    flags = ",".join(k if v is True else f"{k}={v}" for k, v in options.items())
    label = f"{model}[{flags}]" if flags else model
    return {"label": f"{label} {input_chw}", "model": model, "options": options,
            "input": input_chw, "batch": batch}


DEFAULT_CASES = [
    case("hs_resnet29_cifar", "3x32x32"),
    case("hs_resnet29_cifar", "3x32x32", s=6, ratio=0.25, carry_leading=True),
    # Odd group widths; at r=0.3 the first stage's groups carry nothing (floor(0.3·3) = 0).
    case("hs_resnet29_cifar", "3x32x32", s=3, w0=3, ratio=0.3, classes=7),
    case("hs_resnet56_cifar", "3x32x32"),
    case("resnet20_cifar", "3x32x32"),
    case("hs_resnet50", "3x64x64"),
    case("hs_resnet50", "3x64x64", downsample_block="plain"),
    case("resnet50", "3x64x64"),
    # Fashion-MNIST-shaped: one channel, and odd spatial sizes (28 -> 14 -> 7) in the
    # strided blocks' convs and average pools.
    case("hs_resnet29_cifar", "1x28x28", in_channels=1),
    case("resnet20_cifar", "1x28x28", in_channels=1),
    # Res2Net: the CIFAR twin of hs_resnet29, odd widths on odd sizes, and the ImageNet
    # layout with and without grouped 3x3 convolutions (Res2NeXt).
    case("res2net29_cifar", "3x32x32"),
    case("res2net29_cifar", "1x28x28", s=3, w0=5, in_channels=1, classes=7),
    case("res2net50_26w_4s", "3x64x64"),
    case("res2next50", "3x64x64"),
    # Selective Kernel: the CIFAR net at hs_resnet29's width, odd sizes, and SKNet-50.
    case("skresnet29_cifar", "3x32x32"),
    case("skresnet29_cifar", "1x28x28", s=2, w0=5, in_channels=1, classes=7),
    case("skresnext50_32x4d", "3x64x64"),
]

# hsnet command-line flag of each registry option.
FLAGS = {"s": "--s", "w0": "--w0", "ratio": "--ratio", "carry_leading": "--carry-leading",
         "downsample_block": "--downsample-block", "classes": "--classes",
         "in_channels": "--in-channels"}


def export_command(hsnet, c, seed, out_dir):
    cmd = [hsnet, "export", "--model", c["model"], "--input", c["input"],
           "--batch", str(c["batch"]), "--seed", str(seed), "--out", out_dir]
    for key, value in c["options"].items():
        if key not in FLAGS:
            raise ValueError(f"crosscheck: option {key!r} has no hsnet export flag")
        cmd += [FLAGS[key]] if value is True else [FLAGS[key], str(value)]
    return cmd


def run_case(hsnet, c, seed, tolerance, work_dir):
    """Exports, loads and compares one case; returns (ok, message)."""
    import torch
    import torch_models

    out_dir = os.path.join(work_dir, c["label"].replace(" ", "_").replace("/", "_"))
    started = time.time()
    result = subprocess.run(export_command(hsnet, c, seed, out_dir), capture_output=True,
                            text=True)
    if result.returncode != 0:
        return False, f"hsnet export failed ({result.returncode}): {result.stderr.strip()}"
    hsnet_seconds = time.time() - started

    io, metadata = torch_models.load_safetensors(os.path.join(out_dir, "io.safetensors"))
    options = dict(c["options"])
    options.setdefault("in_channels", int(c["input"].split("x")[0]))
    exported = json.loads(metadata["options"])
    if exported != options:
        return False, f"hsnet built the model with options {exported}, expected {options}"

    model = torch_models.create_model(c["model"], **options)
    try:
        torch_models.load_hsnet_checkpoint(model, os.path.join(out_dir, "model.safetensors"))
    except RuntimeError as e:  # load_state_dict's report of missing/unexpected keys, shapes
        return False, f"state dicts differ: {e}"
    model.eval()
    started = time.time()
    with torch.no_grad():
        logits = model(io["input"])
    torch_seconds = time.time() - started
    expected = io["logits"]
    if logits.shape != expected.shape:
        return False, f"logits shape {list(logits.shape)} vs hsnet {list(expected.shape)}"
    diff = (logits - expected).abs().max().item()
    scale = expected.abs().max().item()
    ok = diff <= tolerance
    return ok, (f"max|diff| {diff:.2e}  max|logit| {scale:.3g}  "
                f"(hsnet export {hsnet_seconds:.1f}s, torch forward {torch_seconds:.2f}s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hsnet", default="build/tools/hsnet", help="the hsnet binary")
    parser.add_argument("--models", nargs="+",
                        help="only the default cases of these model names (a name without one "
                             "gets a case at 3x32x32 for *_cifar, else 3x64x64)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=1e-4, help="max abs logit difference")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--keep", help="write the exported files under this directory")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        print("crosscheck: SKIPPED (python3-torch not installed)")
        return SKIP
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_models

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cases = DEFAULT_CASES
    if args.models:
        unknown = [m for m in args.models if m not in torch_models.MODELS]
        if unknown:
            valid = ", ".join(torch_models.model_names())
            parser.error(f"unknown models {unknown} (valid: {valid})")
        cases = [c for c in DEFAULT_CASES if c["model"] in args.models]
        cases += [case(m, "3x32x32" if m.endswith("_cifar") else "3x64x64")
                  for m in args.models if all(c["model"] != m for c in cases)]
    if not os.access(args.hsnet, os.X_OK):
        print(f"crosscheck: FAIL (no hsnet binary at {args.hsnet})")
        return 1

    all_ok = True
    with tempfile.TemporaryDirectory(prefix="hsnet-crosscheck-") as tmp:
        work_dir = args.keep or tmp
        width = max(len(c["label"]) for c in cases)
        for c in cases:
            ok, message = run_case(args.hsnet, c, args.seed, args.tolerance, work_dir)
            all_ok &= ok
            print(f"{c['label']:<{width}}  {'PASS' if ok else 'FAIL'}  {message}", flush=True)
    print(f"crosscheck: {'PASS' if all_ok else 'FAIL'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
