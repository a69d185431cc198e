"""Cross-check: hsnet and its PyTorch twins (bench/torch_models.py) compute the same function.

For each case, `hsnet export` builds the model with a fixed seed, moves every BatchNorm's
statistics and affine parameters away from the identity, and writes the weights, an input
batch, the eval-mode logits it computes, and one training step on the batch (train-mode
logits, cross-entropy loss, every parameter's gradient, the whole state after one SGD step).
The twin loads the weights strictly (same keys, same shapes) and repeats both.

- Eval mode, f32: the logits must agree to a tolerance relative to their scale (max |logit|).
- Training step, f64 (`hsnet export --dtype f64`): logits, loss, every gradient and the whole
  state after torch.optim.SGD's step must agree to 1e-7 of each tensor's scale (F64_TOLERANCE).
  This is the test of the backward passes.
- Training step, f32: the train-mode logits and loss (and the batch statistics the forward
  folds into the running ones) must be about as close to the twin's f64 results as PyTorch's
  own f32 results are. Gradients are not compared in f32: a pre-activation within f32
  rounding of zero takes the other side of a ReLU than in f64, which moves the gradients below
  it by percents. PyTorch does the same to itself (its f32 gradients of hs_resnet29_cifar on
  batch 2 differ from its f64 ones by 3e-3 to 1.4e-1 of their scale for 9 of 20 random
  inputs), so such a comparison fails at random, on either implementation.

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
    # The skeletons with the blocks no preset puts there: CIFAR bottlenecks, Res2NeXt on the
    # CIFAR layout at odd sizes, ResNet-18, and SK without groups on the ImageNet layout.
    case("cifar_resnet", "3x32x32", block="bottleneck"),
    case("cifar_resnet", "1x28x28", block="res2net", depth=11, s=3, w0=4, cardinality=2,
         in_channels=1),
    case("imagenet_resnet", "3x64x64", block="basic", depth=18),
    case("imagenet_resnet", "3x64x64", block="sk", base_width=64, cardinality=1),
]

# hsnet command-line flag of each registry option.
FLAGS = {"block": "--block", "depth": "--depth", "cardinality": "--cardinality",
         "base_width": "--base-width", "s": "--s", "w0": "--w0", "ratio": "--ratio", "carry_leading": "--carry-leading",
         "downsample_block": "--downsample-block", "classes": "--classes",
         "in_channels": "--in-channels"}


def export_command(hsnet, c, seed, out_dir, dtype="f32"):
    cmd = [hsnet, "export", "--model", c["model"], "--input", c["input"],
           "--batch", str(c["batch"]), "--seed", str(seed), "--out", out_dir, "--dtype", dtype]
    for key, value in c["options"].items():
        if key not in FLAGS:
            raise ValueError(f"crosscheck: option {key!r} has no hsnet export flag")
        cmd += [FLAGS[key]] if value is True else [FLAGS[key], str(value)]
    return cmd


def relative_error(actual, expected):
    """max |actual - expected| over max |expected| (the tensor's scale)."""
    actual, expected = actual.double(), expected.double()
    scale = expected.abs().max().item() if expected.numel() else 0.0
    diff = (actual - expected).abs().max().item() if expected.numel() else 0.0
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale


def training_step(model, input, labels, sgd):
    """The twin's training step: {name: tensor} named as in hsnet's train.safetensors."""
    import torch
    model.train()
    model.zero_grad()
    logits = model(input)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out = {"logits": logits.detach(), "loss": loss.detach()}
    out.update({"grad." + name: p.grad.clone() for name, p in model.named_parameters()})
    torch.optim.SGD(model.parameters(), lr=sgd["lr"], momentum=sgd["momentum"],
                    weight_decay=sgd["weight_decay"]).step()
    out.update({"after." + key: t.clone() for key, t in model.state_dict().items()})
    return out


# Every tensor of the f64 training step, relative to its scale. Train-mode BN on a batch of 2
# amplifies f64 rounding through a deep net (observed: 1e-14 on the CIFAR nets, up to 4e-9 on
# skresnext50_32x4d, whose attention BNs normalise over two values); a wrong backward is off by
# 1e-3 or more.
F64_TOLERANCE = 1e-7


# The tensors of a training step that depend on the forward pass alone (continuous in the
# inputs, so comparable in f32): train-mode logits, loss, and the BN statistics after it.
def forward_only(name):
    return name in ("logits", "loss") or name.endswith((".running_mean", ".running_var"))


def compare_training_step_f32(model, exported, input, factor):
    """hsnet's f32 forward of the training step against the twin's f64 one, judged against
    the distance of PyTorch's own f32 result to it (plus 1e-6 of the tensor's scale): hsnet
    passes where its error is at most `factor` times PyTorch's. Returns (worst ratio, its
    name, the names that failed)."""
    import copy
    import json as json_module
    tensors, metadata = exported
    sgd = json_module.loads(metadata["sgd"])
    labels = tensors["labels"]
    reference = training_step(copy.deepcopy(model).double(), input.double(), labels, sgd)
    twin = training_step(copy.deepcopy(model), input, labels, sgd)
    ratios = []
    for name in sorted(k for k in tensors if k != "labels" and forward_only(k)):
        ref = reference[name].double()
        scale = ref.abs().max().item() if ref.numel() else 0.0
        hsnet_error = (tensors[name].double() - ref).abs().max().item() if ref.numel() else 0.0
        torch_error = (twin[name].double() - ref).abs().max().item() if ref.numel() else 0.0
        allowed = torch_error + 1e-6 * scale
        ratios.append((name, hsnet_error / allowed if allowed > 0 else
                       (0.0 if hsnet_error == 0 else float("inf"))))
    failed = [name for name, ratio in ratios if not ratio <= factor]
    worst_name, worst = max(ratios, key=lambda r: r[1])
    return worst, worst_name, failed


def compare_training_step_f64(model, exported, input, tolerance):
    """hsnet's whole f64 training step against the twin's: every tensor to `tolerance` of its
    scale. Returns (worst relative error, its name, the names that failed)."""
    import copy
    import json as json_module
    tensors, metadata = exported
    sgd = json_module.loads(metadata["sgd"])
    twin = training_step(copy.deepcopy(model).double(), input.double(), tensors["labels"], sgd)
    names = {k for k in tensors if k != "labels"}
    if names != set(twin):
        return float("inf"), "names", [f"tensors {sorted(names ^ set(twin))}"]
    errors = [(name, relative_error(tensors[name], twin[name])) for name in sorted(names)]
    failed = [name for name, error in errors if not error <= tolerance]
    worst_name, worst = max(errors, key=lambda e: e[1])
    return worst, worst_name, failed


def export(hsnet, c, seed, out_dir, dtype):
    """Runs `hsnet export`; returns an error message, or None."""
    result = subprocess.run(export_command(hsnet, c, seed, out_dir, dtype), capture_output=True,
                            text=True)
    if result.returncode != 0:
        return f"hsnet export --dtype {dtype} failed ({result.returncode}): {result.stderr.strip()}"
    return None


def run_case(hsnet, c, seed, tolerance, train_tolerance, work_dir):
    """Exports, loads and compares one case; returns (ok, message)."""
    import torch
    import torch_models

    out_dir = os.path.join(work_dir, c["label"].replace(" ", "_").replace("/", "_"))
    started = time.time()
    error = export(hsnet, c, seed, out_dir, "f32") or export(hsnet, c, seed, out_dir + "-f64",
                                                              "f64")
    if error:
        return False, error
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
    eval_error = relative_error(logits, expected)
    f32_ratio, f32_worst, f32_failed = compare_training_step_f32(
        model, torch_models.load_safetensors(os.path.join(out_dir, "train.safetensors")),
        io["input"], train_tolerance)
    io64, _ = torch_models.load_safetensors(os.path.join(out_dir + "-f64", "io.safetensors"))
    f64_error, f64_worst, f64_failed = compare_training_step_f64(
        model, torch_models.load_safetensors(os.path.join(out_dir + "-f64", "train.safetensors")),
        io64["input"], F64_TOLERANCE)
    ok = eval_error <= tolerance and not f32_failed and not f64_failed
    message = (f"eval max|diff| {diff:.2e} max|logit| {scale:.3g} rel {eval_error:.1e}  "
               f"train f32 fwd err/torch-err {f32_ratio:.2g}  "
               f"train f64 rel {f64_error:.1e} ({f64_worst})  "
               f"(hsnet export {hsnet_seconds:.1f}s, torch forward {torch_seconds:.2f}s)")
    failed = f32_failed + f64_failed
    if failed:
        message += "  FAILED: " + ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
    return ok, message


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hsnet", default="build/tools/hsnet", help="the hsnet binary")
    parser.add_argument("--models", nargs="+",
                        help="only the default cases of these model names (a name without one "
                             "gets a case at 3x32x32 for *_cifar, else 3x64x64)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="max |diff| of the eval-mode logits relative to max |logit|")
    parser.add_argument("--train-tolerance", type=float, default=100.0,
                        help="f32 training step: hsnet's max |diff| to PyTorch in f64 over PyTorch "
                             "f32's (+1e-6 of the scale), for the logits, loss and BN statistics")
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
            ok, message = run_case(args.hsnet, c, args.seed, args.tolerance, args.train_tolerance,
                                   work_dir)
            all_ok &= ok
            print(f"{c['label']:<{width}}  {'PASS' if ok else 'FAIL'}  {message}", flush=True)
    print(f"crosscheck: {'PASS' if all_ok else 'FAIL'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
