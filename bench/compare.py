"""Speed and memory of hsnet against PyTorch on the same models: `hsnet bench` and its twin
bench/torch_bench.py, each run as a fresh process (peak RSS is per process), alternated
hsnet, torch, hsnet, torch ... over the rounds so slow drifts of the machine hit both sides.

    /usr/bin/python3 bench/compare.py --hsnet build/tools/hsnet --threads 2 --json cmp.json
    /usr/bin/python3 bench/compare.py --quick --models resnet20_cifar        # smoke test

Prints one row per (model, mode, batch): the median img/s of each side over the rounds with
its min-max spread, the ratio hsnet/torch of the medians, and each side's peak RSS (the
largest over the rounds). --json FILE writes the same rows, with every round's numbers.
"""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODELS = ["hs_resnet29_cifar", "hs_resnet56_cifar", "resnet20_cifar"]
# hsnet's "steps:" line names how its idle OpenMP threads waited (chosen at start-up).
OPENMP_WAIT = re.compile(r"OpenMP wait: (.*)\)\s*$", re.MULTILINE)
BENCH_LINE = re.compile(r"^bench: model=(\S+) mode=(\S+) batch=(\d+) img_per_s=(\S+) "
                        r"ms_per_step=(\S+) peak_rss_mb=(\S+)\s*$")


class BenchError(RuntimeError):
    pass


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help="model names")
    p.add_argument("--modes", nargs="+", default=["train", "infer"], choices=("train", "infer"))
    p.add_argument("--batch", nargs="+", type=int, default=[128], help="batch sizes")
    p.add_argument("--threads", type=int, default=2, help="CPU threads of both sides")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--rounds", type=int, default=5, help="runs of each side per row")
    p.add_argument("--steps", type=int, default=5, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per run")
    p.add_argument("--quick", action="store_true", help="smoke test: 1 round of 2 steps, 1 warm-up")
    p.add_argument("--hsnet", default="build/tools/hsnet", help="the hsnet binary")
    p.add_argument("--python", default=sys.executable, help="Python with PyTorch")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.warmup = 1, 2, 1
    if args.rounds < 1 or args.steps < 1 or args.warmup < 0 or min(args.batch) < 1:
        p.error("--rounds, --steps and --batch must be >= 1, --warmup >= 0")
    if not os.access(args.hsnet, os.X_OK):
        p.error(f"--hsnet {args.hsnet} is not an executable (build it, or point --hsnet at it)")
    return args


def commands(args, model, mode, batch):
    """The hsnet and torch command lines of one run."""
    common = ["--model", model, "--mode", mode, "--batch", str(batch), "--steps",
              str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
              "--device", args.device]
    return {"hsnet": [args.hsnet, "bench"] + common,
            "torch": [args.python, os.path.join(HERE, "torch_bench.py")] + common}


def run_bench(cmd, case):
    """Runs one bench process for case (model, mode, batch); returns its last line parsed."""
    result = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    match = BENCH_LINE.match(lines[-1]) if lines else None
    if result.returncode != 0:
        why = f"exit status {result.returncode}"
    elif not match:
        why = "its last line is not a 'bench:' line"
    elif (match[1], match[2], int(match[3])) != case:
        why = f"it benchmarked {match[1]} {match[2]} batch {match[3]}"
    else:
        wait = OPENMP_WAIT.search(result.stdout)
        return {"img_per_s": float(match[4]), "ms_per_step": float(match[5]),
                "peak_rss_mb": float(match[6]), "openmp_wait": wait[1] if wait else None}
    tail = "\n".join((result.stderr.strip() or result.stdout.strip()).splitlines()[-15:])
    raise BenchError(f"compare: `{' '.join(cmd)}` failed ({why}); output tail:\n{tail}")


def summarise(runs):
    speeds = [r["img_per_s"] for r in runs]
    return {"img_per_s": statistics.median(speeds), "min": min(speeds), "max": max(speeds),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs}


def table(rows):
    head = ("model", "mode", "batch", "hsnet img/s", "(min-max)", "torch img/s", "(min-max)",
            "hsnet/torch", "hsnet MB", "torch MB")
    body = []
    for r in rows:
        h, t = r["hsnet"], r["torch"]
        body.append((r["model"], r["mode"], str(r["batch"]), f"{h['img_per_s']:.1f}",
                     f"({h['min']:.1f}-{h['max']:.1f})", f"{t['img_per_s']:.1f}",
                     f"({t['min']:.1f}-{t['max']:.1f})", f"{r['ratio']:.2f}",
                     f"{h['peak_rss_mb']:.0f}", f"{t['peak_rss_mb']:.0f}"))
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]

    def fmt(row):  # names left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(row) for row in body])


def main(argv=None):
    args = parse_args(argv)
    cases = [(m, mode, b) for m in args.models for mode in args.modes for b in args.batch]
    runs = {case: {"hsnet": [], "torch": []} for case in cases}
    started = time.time()
    try:
        # Rounds outermost: a burst of load on the machine lands in one round of every row.
        for round_index in range(args.rounds):
            for case in cases:
                for side, cmd in commands(args, *case).items():
                    result = run_bench(cmd, case)
                    runs[case][side].append(result)
                    print(f"[round {round_index + 1}/{args.rounds}, {time.time() - started:.0f} s] "
                          f"{side:5} {case[0]} {case[1]} batch {case[2]}: "
                          f"{result['img_per_s']:.1f} img/s, {result['peak_rss_mb']:.0f} MB",
                          file=sys.stderr, flush=True)
    except BenchError as e:
        print(e, file=sys.stderr)
        return 1
    rows = []
    for (model, mode, batch) in cases:
        h, t = summarise(runs[(model, mode, batch)]["hsnet"]), summarise(
            runs[(model, mode, batch)]["torch"])
        rows.append({"model": model, "mode": mode, "batch": batch, "hsnet": h, "torch": t,
                     "ratio": h["img_per_s"] / t["img_per_s"]})
    print(f"threads {args.threads}, device {args.device}, {args.rounds} rounds of "
          f"{args.warmup} warm-up + {args.steps} timed steps (median step per run, median of runs)")
    print(table(rows))
    waits = collections.Counter(r["openmp_wait"] for case in cases for r in runs[case]["hsnet"]
                                if r.get("openmp_wait"))
    if waits:
        print("hsnet OpenMP wait: " + ", ".join(f"{w} ({n} runs)" for w, n in waits.most_common())
              + f"; PyTorch: OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    if args.json:
        settings = {k: getattr(args, k) for k in ("threads", "device", "rounds", "steps", "warmup",
                                                  "hsnet")}
        with open(args.json, "w") as f:
            json.dump({"settings": settings, "rows": rows}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
