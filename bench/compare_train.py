"""Whole-run comparison: `hsnet train` against `bench/torch_train.py` (the same recipe run
through PyTorch) on one config and its real data, alternated in each round, so a user's
whole epoch — data loading, augmentation, optimizer, evaluation — is what is timed.

    /usr/bin/python3 bench/compare_train.py --config configs/fashion_mnist_quick.json \\
        [--rounds 2] [--threads 2] [--peers default tuned] [-- EXTRA TRAIN OPTIONS]

Sides: hsnet; PyTorch as it runs by default ("torch"); PyTorch with Debian's tcmalloc
preloaded ("torch-tc", how a performance-minded user runs it). Per side it prints medians
over the rounds of: training seconds per epoch and images/s (from each run's metrics.jsonl,
evaluation excluded), the whole process's wall seconds, its peak RSS (the kernel's
ru_maxrss of the child), and the final test accuracy; then hsnet's speed ratio against each
PyTorch side. Both trainers use the config's `threads`, overridden by --threads.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import find_tcmalloc  # noqa: E402  (the tuned peer's allocator, found once)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="training config (configs/*.json)")
    p.add_argument("--hsnet", default="build/tools/hsnet")
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--peers", nargs="+", choices=["default", "tuned"], default=["tuned"])
    p.add_argument("--tcmalloc", default=find_tcmalloc())
    p.add_argument("--keep", help="keep each run's output folder under this directory")
    p.add_argument("extra", nargs="*", help="options passed to both trainers (after --)")
    args = p.parse_args(argv)
    if "tuned" in args.peers and not (args.tcmalloc and os.path.exists(args.tcmalloc)):
        p.error("the tuned PyTorch needs tcmalloc (Debian's libtcmalloc-minimal4, installed by "
                "scripts/setup.sh --tests), or pass --peers default")
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    return args


def sides(args):
    """Side name -> (command prefix, extra environment)."""
    torch = [args.python, os.path.join(HERE, "torch_train.py")]
    out = {"hsnet": ([args.hsnet, "train"], {})}
    if "default" in args.peers:
        out["torch"] = (torch, {})
    if "tuned" in args.peers:
        out["torch-tc"] = (torch, {"LD_PRELOAD": args.tcmalloc})
    return out


def run_once(cmd, env, out_dir):
    """Runs one trainer to completion; returns its figures from metrics.jsonl and the
    process's wall time and peak RSS."""
    started = time.perf_counter()
    with open(os.path.join(out_dir + ".log"), "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env})
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(out_dir + ".log") as log:
            tail = "".join(log.readlines()[-15:])
        raise RuntimeError(f"compare_train: `{' '.join(cmd)}` exited {code}; output tail:\n{tail}")
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    if not epochs:
        raise RuntimeError(f"compare_train: {out_dir}/metrics.jsonl holds no epoch")
    return {"epoch_seconds": statistics.median(e["seconds"] for e in epochs),
            "img_per_s": statistics.median(e["images_per_second"] for e in epochs),
            "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "test_acc": 100.0 * epochs[-1]["test_acc"]}  # both write top-1 as a fraction


def main(argv=None):
    args = parse_args(argv)
    runs = {name: [] for name in sides(args)}
    with tempfile.TemporaryDirectory(prefix="hsnet-compare-train-") as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        for r in range(args.rounds):
            for name, (prefix, env) in sides(args).items():
                out_dir = os.path.join(work, f"{name}-round{r}")
                cmd = prefix + ["--config", args.config, "--threads", str(args.threads),
                                "--out", out_dir] + args.extra
                result = run_once(cmd, env, out_dir)
                runs[name].append(result)
                print(f"round {r + 1}/{args.rounds} {name:8s} {result['img_per_s']:8.1f} img/s  "
                      f"{result['epoch_seconds']:7.1f} s/epoch  wall {result['wall_s']:7.1f} s  "
                      f"peak {result['peak_rss_mb']:7.0f} MB  test acc {result['test_acc']:.2f}%",
                      flush=True)
    print(f"\n{'side':8s} {'img/s':>8s} {'s/epoch':>8s} {'wall s':>8s} {'peak MB':>8s} "
          f"{'test acc':>8s}   (medians of {args.rounds} rounds, {args.threads} threads, "
          f"{args.config})")
    median = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
              for name, rs in runs.items()}
    for name, m in median.items():
        print(f"{name:8s} {m['img_per_s']:8.1f} {m['epoch_seconds']:8.1f} {m['wall_s']:8.1f} "
              f"{m['peak_rss_mb']:8.0f} {m['test_acc']:7.2f}%")
    for name in median:
        if name != "hsnet":
            print(f"hsnet/{name}: images/s {median['hsnet']['img_per_s'] / median[name]['img_per_s']:.2f}x, "
                  f"wall {median[name]['wall_s'] / median['hsnet']['wall_s']:.2f}x faster, "
                  f"peak RSS {median['hsnet']['peak_rss_mb'] / median[name]['peak_rss_mb']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
