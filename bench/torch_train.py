"""hsnet's training recipe run through PyTorch: the same config JSON, data, augmentation,
model (the twins in bench/torch_models.py, initialised as hsnet initialises), optimizer,
per-step learning-rate schedule and loss as `hsnet train` (tools/trainer.cpp), so hsnet's
accuracy can be compared with PyTorch's on one recipe.

    /usr/bin/python3 bench/torch_train.py --config configs/fashion_mnist_quick.json

Prints one line per epoch and writes OUT/config.json and OUT/metrics.jsonl with the keys of
hsnet's metrics.jsonl. OUT defaults to the config's "out" with "-torch" appended, so a run
never overwrites hsnet's. Random streams (initialisation, shuffling, crops, flips) are seeded
but are PyTorch's, not hsnet's: the two runs see different draws of the same distributions.
No checkpoints, resumption or Ctrl-C handling; "stop_after_steps" is accepted and ignored.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

# tools/train_config.h: every key with its default.
DEFAULTS = {
    "model": "hs_resnet29_cifar", "model_options": {}, "dataset": "fashion-mnist", "data": "",
    "epochs": 10, "batch_size": 128, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
    "nesterov": False, "weight_decay": 5e-4, "no_decay_bn_bias": False, "schedule": "cosine",
    "warmup_epochs": 0.0, "milestones": [], "gamma": 0.1, "label_smoothing": 0.0,
    "crop_padding": -1, "flip": True, "seed": 0, "threads": 0, "device": "cpu",
    "out": "runs/latest", "limit_train": 0, "limit_test": 0, "stop_after_steps": 0,
}

# data/datasets.cpp: customary per-channel mean/std of x/255.
KNOWN_STATS = {
    "fashion-mnist": ([0.2860], [0.3530]),
    "mnist": ([0.1307], [0.3081]),
    "cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
    "cifar100": ([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762]),
}

DEFAULT_DIRS = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist", "mnist": "/usr/share/datasets/mnist",
    "cifar10": "data/cifar-10-batches-bin", "cifar100": "data/cifar-100-binary",
}


class ConfigError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Config: tools/train_config.cpp (keys, types, validation) and tools/cmd_train.cpp (overrides)


def _type_ok(key, value):
    default = DEFAULTS[key]
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
    return isinstance(value, dict)


def config_from_json(j):
    if not isinstance(j, dict):
        raise ConfigError(f"config: expected a JSON object, got {json.dumps(j)}")
    for key in j:
        if key not in DEFAULTS:
            raise ConfigError(f"config: unknown key '{key}' (valid keys: {', '.join(DEFAULTS)})")
    c = dict(DEFAULTS)
    for key, value in j.items():
        if not _type_ok(key, value):
            raise ConfigError(f"config: key '{key}' has the wrong type: {json.dumps(value)}")
        c[key] = float(value) if isinstance(DEFAULTS[key], float) else value
    return c


def validate(c):
    def check(ok, message):
        if not ok:
            raise ConfigError("config: " + message)

    check(c["epochs"] >= 1, f"'epochs' must be >= 1, got {c['epochs']}")
    check(c["batch_size"] >= 1, f"'batch_size' must be >= 1, got {c['batch_size']}")
    check(c["optimizer"] in ("sgd", "adamw"),
          f"'optimizer' must be sgd or adamw, got '{c['optimizer']}'")
    check(c["lr"] > 0, f"'lr' must be > 0, got {c['lr']}")
    check(c["schedule"] in ("constant", "multistep", "cosine"),
          f"'schedule' must be constant, multistep or cosine, got '{c['schedule']}'")
    check(not c["milestones"] or c["schedule"] == "multistep",
          f"'milestones' are for the multistep schedule only, not '{c['schedule']}'")
    for m in c["milestones"]:
        check(1 <= m <= c["epochs"], f"'milestones' must be epochs in [1, {c['epochs']}], got {m}")
    check(c["gamma"] > 0, f"'gamma' must be > 0, got {c['gamma']}")
    check(c["warmup_epochs"] == 0 or c["schedule"] == "cosine",
          f"'warmup_epochs' is for the cosine schedule only, not '{c['schedule']}'")
    check(c["momentum"] >= 0, f"'momentum' must be >= 0, got {c['momentum']}")
    check(c["weight_decay"] >= 0, f"'weight_decay' must be >= 0, got {c['weight_decay']}")
    check(0 <= c["label_smoothing"] < 1,
          f"'label_smoothing' must be in [0, 1), got {c['label_smoothing']}")
    check(0 <= c["warmup_epochs"] < c["epochs"],
          f"'warmup_epochs' must be in [0, epochs), got {c['warmup_epochs']}")
    check(c["crop_padding"] >= -1,
          f"'crop_padding' must be >= 0 (or -1 for the default), got {c['crop_padding']}")
    check(c["limit_train"] >= 0 and c["limit_test"] >= 0,
          "'limit_train' and 'limit_test' must be >= 0")
    check(c["threads"] >= 0, f"'threads' must be >= 0, got {c['threads']}")
    check(c["device"] in ("cpu", "cuda"), f"'device' must be cpu or cuda, got '{c['device']}'")
    check(bool(c["out"]), "'out' must name a directory")


# Command-line flag -> (config key, type); the model flags go into model_options.
OVERRIDES = {
    "dataset": str, "data": str, "epochs": int, "batch_size": int, "lr": float,
    "momentum": float, "weight_decay": float, "optimizer": str, "schedule": str,
    "warmup_epochs": float, "label_smoothing": float, "seed": int, "threads": int,
    "device": str, "out": str, "limit_train": int, "limit_test": int,
}
MODEL_FLAGS = {"s": int, "w0": int, "ratio": float, "downsample_block": str, "classes": int,
               "in_channels": int}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="JSON config file (configs/*.json)")
    p.add_argument("--model", help="model name")
    for key, kind in MODEL_FLAGS.items():
        p.add_argument("--" + key.replace("_", "-"), type=kind, dest="model_" + key)
    p.add_argument("--carry-leading", action="store_true", help="carry the leading channels")
    for key, kind in OVERRIDES.items():
        p.add_argument("--" + key.replace("_", "-"), type=kind, dest=key)
    return p.parse_args(argv)


def resolve_config(args):
    """The config as hsnet train resolves it: the file, then the command-line overrides;
    OUT defaults to the config's out + '-torch'."""
    j = {}
    if args.config:
        try:
            with open(args.config) as f:
                j = json.load(f)
        except OSError as e:
            raise ConfigError(f"config: cannot read {args.config} ({e.strerror})")
        except json.JSONDecodeError as e:
            raise ConfigError(f"config: {args.config} is not valid JSON ({e})")
    if not isinstance(j, dict):
        raise ConfigError(f"config: expected a JSON object, got {json.dumps(j)}")
    if args.model is not None:
        j["model"] = args.model
    options = dict(j.get("model_options", {}))
    for key in MODEL_FLAGS:
        if getattr(args, "model_" + key) is not None:
            options[key] = getattr(args, "model_" + key)
    if args.carry_leading:
        options["carry_leading"] = True
    j["model_options"] = options
    for key in OVERRIDES:
        if getattr(args, key) is not None:
            j[key] = getattr(args, key)
    c = config_from_json(j)
    if args.out is None:
        c["out"] = c["out"].rstrip("/") + "-torch"
    validate(c)
    return c


# ---------------------------------------------------------------------------------------------
# Data: data/idx.cpp, data/cifar.cpp, data/dataset.cpp (subset, channel_stats)


class Dataset:
    """images uint8 [N, C, H, W] and labels int64 [N], like hsnet's ImageDataset."""

    def __init__(self, images, labels, num_classes):
        self.images, self.labels, self.num_classes = images, labels, num_classes

    @property
    def n(self):
        return self.images.shape[0]

    def subset(self, limit):
        return Dataset(self.images[:limit], self.labels[:limit], self.num_classes)


def _plain_or_gz(folder, name):
    plain = os.path.join(folder, name)
    if os.path.exists(plain):
        return plain
    if os.path.exists(plain + ".gz"):
        return plain + ".gz"
    raise FileNotFoundError(f"cannot find {plain} (nor {plain}.gz)")


def _read_idx(path, ndims):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic != (0x08 << 8 | ndims):
        raise ValueError(f"read_idx: {path}: bad magic, expected IDX unsigned bytes, {ndims} dims")
    dims = [int.from_bytes(data[4 + 4 * d:8 + 4 * d], "big") for d in range(ndims)]
    header = 4 + 4 * ndims
    if len(data) - header != int(np.prod(dims)):
        raise ValueError(f"read_idx: {path}: wrong size for dims {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _load_idx(folder, train):
    prefix = "train" if train else "t10k"
    images = _read_idx(_plain_or_gz(folder, prefix + "-images-idx3-ubyte"), 3)
    labels = _read_idx(_plain_or_gz(folder, prefix + "-labels-idx1-ubyte"), 1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"read_idx: {folder}: {images.shape[0]} images but "
                         f"{labels.shape[0]} labels")
    return images[:, None], labels


def _find_folder(folder, subfolder, probe):
    if os.path.exists(os.path.join(folder, probe)):
        return folder
    if os.path.exists(os.path.join(folder, subfolder, probe)):
        return os.path.join(folder, subfolder)
    raise FileNotFoundError(f"cannot find {os.path.join(folder, probe)} "
                            f"(nor {os.path.join(folder, subfolder, probe)})")


def _load_cifar(folder, files, subfolder, label_bytes, label_slot):
    folder = _find_folder(folder, subfolder, files[0])
    record = label_bytes + 3 * 32 * 32
    chunks = []
    for name in files:
        with open(os.path.join(folder, name), "rb") as f:
            data = np.frombuffer(f.read(), dtype=np.uint8)
        if data.size == 0 or data.size % record:
            raise ValueError(f"{name}: wrong size {data.size} for {record}-byte records")
        chunks.append(data.reshape(-1, record))
    records = np.concatenate(chunks)
    return records[:, label_bytes:].reshape(-1, 3, 32, 32), records[:, label_slot]


def load_dataset(name, folder, train):
    """data/datasets.cpp's load_dataset: the train or test split of a named dataset."""
    folder = folder or DEFAULT_DIRS[name]
    if name in ("fashion-mnist", "mnist"):
        images, labels = _load_idx(folder, train)
        classes = 10
    elif name == "cifar10":
        files = [f"data_batch_{k}.bin" for k in range(1, 6)] if train else ["test_batch.bin"]
        images, labels = _load_cifar(folder, files, "cifar-10-batches-bin", 1, 0)
        classes = 10
    else:
        files = ["train.bin" if train else "test.bin"]
        images, labels = _load_cifar(folder, files, "cifar-100-binary", 2, 1)
        classes = 100
    if labels.size and int(labels.max()) >= classes:
        raise ValueError(f"{name}: label {int(labels.max())} is out of range [0, {classes})")
    return Dataset(torch.from_numpy(np.array(images, dtype=np.uint8, order="C")),
                   torch.from_numpy(labels.astype(np.int64)), classes)


def channel_stats(ds):
    """Mean and population std of x/255 per channel over every pixel (data/dataset.cpp)."""
    means, stds = [], []
    for c in range(ds.images.shape[1]):
        counts = torch.bincount(ds.images[:, c].reshape(-1).long(), minlength=256).double()
        values = torch.arange(256, dtype=torch.float64) / 255.0
        total = counts.sum()
        mean = float((counts * values).sum() / total)
        means.append(mean)
        stds.append(math.sqrt(float((counts * (values - mean) ** 2).sum() / total)))
    return means, stds


# ---------------------------------------------------------------------------------------------
# Batches: data/loader.cpp and data/augment.cpp, vectorised over the batch


class Normalise:
    """(x/255 - mean_c)/std_c folded into x·scale_c + shift_c in f32, as augment_image does."""

    def __init__(self, mean, std, device):
        std32 = np.asarray(std, dtype=np.float32)
        mean32 = np.asarray(mean, dtype=np.float32)
        scale = np.float32(1.0) / (np.float32(255.0) * std32)
        shift = -mean32 / std32
        self.scale = torch.from_numpy(scale).view(1, -1, 1, 1).to(device)
        self.shift = torch.from_numpy(shift).view(1, -1, 1, 1).to(device)

    def __call__(self, images_u8):
        return images_u8.float() * self.scale + self.shift


def augment(images_u8, pad, flip, generator):
    """Random crop with `pad` zero pixels (raw value 0, padded before normalisation) on every
    side, offsets uniform in [-pad, pad], then a left-right mirror with probability 0.5,
    per image; returns uint8 images of the input's shape."""
    b, _, h, w = images_u8.shape
    if pad == 0 and not flip:
        return images_u8
    device = images_u8.device
    if pad > 0:
        dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
        dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    else:
        dy = dx = torch.zeros(b, dtype=torch.int64)
    mirrored = torch.rand(b, generator=generator) < 0.5 if flip else torch.zeros(b, dtype=bool)
    padded = F.pad(images_u8, (pad, pad, pad, pad)) if pad > 0 else images_u8
    # Output pixel (y, x) reads padded pixel (y + dy, x' + dx) with x' = w-1-x when mirrored.
    cols = torch.arange(w)
    rows = (torch.arange(h)[None, :] + dy[:, None]).to(device)                       # [B, H]
    cols = (torch.where(mirrored[:, None], (w - 1 - cols)[None, :], cols[None, :])
            + dx[:, None]).to(device)                                               # [B, W]
    index = torch.arange(b, device=device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]      # [B, H, W, C]
    return out.permute(0, 3, 1, 2).contiguous()


def batches(ds, batch_size, order=None):
    """(first, images uint8, labels) per batch in `order` (default: the stored order); the last
    batch may be smaller (hsnet's Loader with drop_last off)."""
    for first in range(0, ds.n, batch_size):
        if order is None:
            yield ds.images[first:first + batch_size], ds.labels[first:first + batch_size]
        else:
            index = order[first:first + batch_size]
            yield ds.images[index], ds.labels[index]


# ---------------------------------------------------------------------------------------------
# Model, optimizer and schedule: nn/init.cpp, nn/optimizer.cpp, nn/lr_schedule.cpp


def init_like_hsnet(model):
    """Re-initialises `model` as hsnet initialises its modules: conv weights Kaiming normal
    with fan_out (std sqrt(2/fan_out)), conv biases 0; linear weight and bias uniform in
    ±1/sqrt(in_features); BatchNorm γ=1, β=0. Draws from torch's global generator."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound)
            if m.bias is not None:
                nn.init.uniform_(m.bias, -bound, bound)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def param_groups(model, weight_decay, no_decay_bn_bias):
    """One group, or with no_decay_bn_bias the ndim == 1 parameters apart with decay 0."""
    decayed, exempt = [], []
    for _, p in model.named_parameters():
        (exempt if no_decay_bn_bias and p.dim() == 1 else decayed).append(p)
    groups = [{"params": decayed, "weight_decay": weight_decay}]
    if exempt:
        groups.append({"params": exempt, "weight_decay": 0.0})
    return [g for g in groups if g["params"]]


def make_optimizer(c, model):
    groups = param_groups(model, c["weight_decay"], c["no_decay_bn_bias"])
    if c["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=c["lr"], momentum=c["momentum"],
                               nesterov=c["nesterov"], weight_decay=c["weight_decay"])
    # hsnet's AdamW keeps PyTorch's betas (0.9, 0.999) and eps 1e-8.
    return torch.optim.AdamW(groups, lr=c["lr"], weight_decay=c["weight_decay"])


def make_schedule(c, steps_per_epoch):
    """lr_at(step) of nn/lr_schedule.cpp for the config's schedule, in optimizer steps."""
    base, epochs = c["lr"], c["epochs"]
    if c["schedule"] == "constant":
        return lambda step: base
    if c["schedule"] == "multistep":
        milestones = sorted(m * steps_per_epoch for m in c["milestones"])
        return lambda step: base * c["gamma"] ** sum(1 for m in milestones if m <= step)
    total, warmup = epochs * steps_per_epoch, round(c["warmup_epochs"] * steps_per_epoch)

    def cosine(step):
        if step < warmup:
            return base * (step + 1) / warmup
        if step >= total:
            return 0.0
        return base * (1.0 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2.0
    return cosine


# ---------------------------------------------------------------------------------------------
# The run: tools/trainer.cpp and tools/evaluate.cpp


def evaluate(model, ds, normalise, batch_size, device):
    """Mean cross-entropy (no smoothing), top-1 and top-5 accuracy, in eval mode."""
    was_training = model.training
    model.eval()
    loss_sum, top1, top5 = 0.0, 0, 0
    k5 = min(5, ds.num_classes)
    with torch.no_grad():
        for images, labels in batches(ds, batch_size):
            labels = labels.to(device)
            logits = model(normalise(images.to(device)))
            loss_sum += float(F.cross_entropy(logits, labels, reduction="sum"))
            top = logits.topk(k5, dim=1).indices
            top1 += int((top[:, 0] == labels).sum())
            top5 += int((top == labels[:, None]).any(dim=1).sum())
    model.train(was_training)
    if ds.n == 0:
        raise ValueError("evaluate: the test set is empty")
    return loss_sum / ds.n, top1 / ds.n, top5 / ds.n


def write_text_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def train(c):
    threads = c["threads"] if c["threads"] > 0 else os.cpu_count()
    torch.set_num_threads(threads)
    device = torch.device(c["device"])
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("config: device cuda but this PyTorch sees no CUDA device")
        torch.backends.cudnn.benchmark = True

    train_set = load_dataset(c["dataset"], c["data"], True)
    test_set = load_dataset(c["dataset"], c["data"], False)
    if c["limit_train"] > 0:
        train_set = train_set.subset(c["limit_train"])
    if c["limit_test"] > 0:
        test_set = test_set.subset(c["limit_test"])
    mean, std = KNOWN_STATS.get(c["dataset"]) or channel_stats(train_set)
    normalise = Normalise(mean, std, device)
    _, channels, height, width = train_set.images.shape
    pad = c["crop_padding"] if c["crop_padding"] >= 0 else (4 if height >= 32 else 2)
    for ds in (train_set, test_set):
        ds.images, ds.labels = ds.images.to(device), ds.labels.to(device)

    options = dict(c["model_options"])
    options.setdefault("in_channels", channels)
    options.setdefault("classes", train_set.num_classes)
    if options["classes"] != train_set.num_classes:
        raise ConfigError(f"train: the model has {options['classes']} classes but "
                          f"{c['dataset']} has {train_set.num_classes}")
    torch.manual_seed(c["seed"])
    model = init_like_hsnet(torch_models.create_model(c["model"], **options)).to(device)
    optimizer = make_optimizer(c, model)
    steps_per_epoch = (train_set.n + c["batch_size"] - 1) // c["batch_size"]
    lr_at = make_schedule(c, steps_per_epoch)

    out = c["out"]
    os.makedirs(out, exist_ok=True)
    # As hsnet's TrainConfig::to_json: every key but stop_after_steps.
    saved = {k: v for k, v in c.items() if k != "stop_after_steps"}
    write_text_atomic(os.path.join(out, "config.json"), json.dumps(saved, indent=2) + "\n")
    params = sum(p.numel() for p in model.parameters())
    print(f"torch_train {c['model']} {json.dumps(options, sort_keys=True)} on {c['dataset']}: "
          f"{train_set.n} train / {test_set.n} test images of {channels}x{height}x{width}, "
          f"{params} params, {steps_per_epoch} steps/epoch, {torch.get_num_threads()} threads, "
          f"pad {pad}, flip {c['flip']}, torch {torch.__version__}", flush=True)

    generator = torch.Generator().manual_seed(c["seed"])
    metrics, best = [], -1.0
    report_every = max(1, steps_per_epoch // 10)
    model.train()
    for epoch in range(c["epochs"]):
        started = time.perf_counter()
        order = torch.randperm(train_set.n, generator=generator).to(device)
        loss_sum, correct, seen = 0.0, 0, 0
        for index, (images, labels) in enumerate(batches(train_set, c["batch_size"], order)):
            lr = lr_at(epoch * steps_per_epoch + index)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            images = normalise(augment(images, pad, c["flip"], generator))
            labels = labels.to(device)
            logits = model(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=c["label_smoothing"])
            loss_value = float(loss)
            if not math.isfinite(loss_value):
                print(f"error: loss is {loss_value} at epoch {epoch + 1} step {index + 1} "
                      f"(lr {lr})", file=sys.stderr)
                return 3
            loss.backward()
            optimizer.step()
            n = labels.shape[0]
            loss_sum += loss_value * n
            correct += int((logits.detach().argmax(dim=1) == labels).sum())
            seen += n
            done = index + 1
            if done % report_every == 0 or done == steps_per_epoch:
                elapsed = time.perf_counter() - started
                print(f"epoch {epoch + 1}/{c['epochs']}  step {done}/{steps_per_epoch}  "
                      f"loss {loss_sum / seen:.4f}  acc {100 * correct / seen:.2f}%  "
                      f"{seen / elapsed:.1f} img/s", flush=True)
        seconds = time.perf_counter() - started
        test_loss, test_acc, test_top5 = evaluate(model, test_set, normalise, c["batch_size"],
                                                  device)
        m = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
             "test_loss": test_loss, "test_acc": test_acc, "test_top5": test_top5,
             "lr": lr_at((epoch + 1) * steps_per_epoch - 1), "seconds": seconds,
             "images_per_second": seen / max(1e-9, seconds)}
        print(f"epoch {epoch + 1}/{c['epochs']}: train loss {m['train_loss']:.4f} acc "
              f"{100 * m['train_acc']:.2f}% | test loss {test_loss:.4f} acc {100 * test_acc:.2f}% "
              f"top5 {100 * test_top5:.2f}% | lr {m['lr']:.6g} | {seconds:.1f} s, "
              f"{m['images_per_second']:.1f} img/s", flush=True)
        metrics.append(m)
        best = max(best, test_acc)
        write_text_atomic(os.path.join(out, "metrics.jsonl"), "".join(
            json.dumps(x, sort_keys=True, separators=(",", ":")) + "\n" for x in metrics))
    print(f"done: {c['epochs']} epochs, best test accuracy {100 * best:.2f}%, outputs in {out}")
    return 0


def main(argv=None):
    try:
        return train(resolve_config(parse_args(argv)))
    except (ConfigError, ValueError, TypeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
