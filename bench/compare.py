"""Speed and memory of hsnet against PyTorch on the same models: `hsnet bench` and its twin
bench/torch_bench.py, each run as a fresh process (peak RSS is per process), alternated
hsnet, torch, hsnet, torch ... over the rounds so slow drifts of the machine hit both sides.

    /usr/bin/python3 bench/compare.py --hsnet build/tools/hsnet --threads 2 --json cmp.json
    /usr/bin/python3 bench/compare.py --quick --models resnet20_cifar        # smoke test
    /usr/bin/python3 bench/compare.py --baseline old/hsnet   # also time an earlier hsnet build

A model the --baseline binary does not know (it predates the model) is timed without it: a
line says so, and its baseline cells read "-".

PyTorch runs twice per round: as it runs by default ("torch"), and tuned as a
performance-minded user runs it ("torch-tc": Debian's tcmalloc preloaded, which keeps glibc's
allocator from mapping and unmapping every large activation buffer). Both sides' training
steps include an SGD step; inference runs on batch-norm statistics calibrated first. Besides
the batch sizes asked for, each model gets a batch-1 inference row (--no-latency drops it):
the latency of predicting one image. With --fold-bn every side's inference runs with its
batch norms folded into the convolutions (hsnet's ReLU then runs in the convolution's store).

Prints one row per (model, mode, batch): each side's median img/s over the rounds with its
min-max spread and its peak RSS (the largest over the rounds), and the ratios of hsnet's
median to each other side's. --json FILE writes the same rows, with every round's numbers.
"""
import argparse
import collections
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODELS = ["hs_resnet29_cifar", "hs_resnet56_cifar", "resnet20_cifar", "res2net29_cifar",
                  "skresnet29_cifar"]
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
    p.add_argument("--baseline", metavar="HSNET", help="another hsnet binary to time alongside")
    p.add_argument("--peers", nargs="+", default=["default", "tuned"],
                   choices=("default", "tuned"), help="which PyTorch runs to time")
    p.add_argument("--tcmalloc", default=find_tcmalloc(),
                   help="the tcmalloc library the tuned PyTorch preloads")
    p.add_argument("--no-latency", dest="latency", action="store_false",
                   help="no batch-1 inference rows")
    p.add_argument("--fold-bn", action="store_true",
                   help="inference rows with the batch norms folded into the convolutions, on "
                        "every side (hsnet bench --fold-bn; PyTorch's fuse_conv_bn_eval)")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.warmup = 1, 2, 1
    if args.rounds < 1 or args.steps < 1 or args.warmup < 0 or min(args.batch) < 1:
        p.error("--rounds, --steps and --batch must be >= 1, --warmup >= 0")
    for flag, binary in (("--hsnet", args.hsnet), ("--baseline", args.baseline)):
        if binary is not None and not os.access(binary, os.X_OK):
            p.error(f"{flag} {binary} is not an executable (build it, or point {flag} at it)")
    if "tuned" in args.peers and not (args.tcmalloc and os.path.exists(args.tcmalloc)):
        p.error("the tuned PyTorch needs tcmalloc (Debian's libtcmalloc-minimal4, installed by "
                "scripts/setup.sh --tests), or --peers default")
    return args


def find_tcmalloc():
    found = sorted(glob.glob("/usr/lib/*/libtcmalloc_minimal.so.4"))
    return found[0] if found else None


def baseline_lacks(binary, models):
    """The models an earlier hsnet build does not know: `summary` builds a model in
    milliseconds and exits 2 with "unknown model" when the name is not one of its own."""
    lacking = []
    for model in models:
        result = subprocess.run([binary, "summary", "--model", model], capture_output=True,
                                text=True)
        if result.returncode != 0:
            if "unknown model" not in result.stderr + result.stdout:
                tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
                raise BenchError(f"compare: `{binary} summary --model {model}` failed (exit "
                                 f"status {result.returncode}):\n" + "\n".join(tail))
            lacking.append(model)
    return lacking


def sides(args):
    """Side name -> (program prefix, extra environment), in the order each round runs them."""
    torch = [args.python, os.path.join(HERE, "torch_bench.py")]
    out = {"hsnet": ([args.hsnet, "bench"], {})}
    if args.baseline:
        out["base"] = ([args.baseline, "bench"], {})
    if "default" in args.peers:
        out["torch"] = (torch, {})
    if "tuned" in args.peers:
        out["torch-tc"] = (torch, {"LD_PRELOAD": args.tcmalloc})
    return out


def commands(args, model, mode, batch, skip=()):
    """The command line and environment of each side for one run. A batch-1 step costs
    milliseconds, and PyTorch's first few are several times slower than the rest (one-time
    set-up per shape), so latency rows get at least 5 warm-up and 20 timed steps."""
    steps, warmup = (max(args.steps, 20), max(args.warmup, 5)) if batch == 1 else (
        args.steps, args.warmup)
    common = ["--model", model, "--mode", mode, "--batch", str(batch), "--steps",
              str(steps), "--warmup", str(warmup), "--threads", str(args.threads),
              "--device", args.device]
    if args.fold_bn and mode == "infer":
        common.append("--fold-bn")
    return {side: (prefix + common, env) for side, (prefix, env) in sides(args).items()
            if side not in skip}


def run_bench(cmd, env, case):
    """Runs one bench process for case (model, mode, batch); returns its last line parsed."""
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
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
    prefix = " ".join(f"{k}={v}" for k, v in env.items())
    raise BenchError(f"compare: `{prefix + ' ' if prefix else ''}{' '.join(cmd)}` failed ({why}); output tail:\n{tail}")


def summarise(runs):
    if not runs:  # a side that skipped this row
        return None
    speeds = [r["img_per_s"] for r in runs]
    return {"img_per_s": statistics.median(speeds), "min": min(speeds), "max": max(speeds),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs}


def table(rows, names):
    """names: the sides in column order; ratios are hsnet's median over each other side's."""
    head = ["model", "mode", "batch"]
    for n in names:
        head += [f"{n} img/s", "(min-max)", f"{n} MB"]
    head += [f"hsnet/{n}" for n in names[1:]] + ["hsnet ms"]
    body = []
    for r in rows:
        cells = [r["model"], r["mode"], str(r["batch"])]
        for n in names:
            side = r["sides"][n]
            cells += ["-", "", "-"] if side is None else [
                f"{side['img_per_s']:.1f}", f"({side['min']:.1f}-{side['max']:.1f})",
                f"{side['peak_rss_mb']:.0f}"]
        cells += ["-" if r["ratios"][n] is None else f"{r['ratios'][n]:.2f}" for n in names[1:]]
        cells.append(f"{1000.0 * r['batch'] / r['sides']['hsnet']['img_per_s']:.1f}")
        body.append(cells)
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]

    def fmt(row):  # names left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(row) for row in body])


def main(argv=None):
    args = parse_args(argv)
    cases = [(m, mode, b) for m in args.models for mode in args.modes for b in args.batch]
    if args.latency and "infer" in args.modes:
        cases += [(m, "infer", 1) for m in args.models if (m, "infer", 1) not in cases]
    names = list(sides(args))
    runs = {case: {n: [] for n in names} for case in cases}
    started = time.time()
    try:
        lacking = baseline_lacks(args.baseline, args.models) if args.baseline else []
        for model in lacking:
            print(f"compare: the baseline {args.baseline} has no model {model}; its rows are "
                  "timed without the baseline", file=sys.stderr)
        # Rounds outermost: a burst of load on the machine lands in one round of every row.
        for round_index in range(args.rounds):
            for case in cases:
                skip = ("base",) if case[0] in lacking else ()
                for side, (cmd, env) in commands(args, *case, skip=skip).items():
                    result = run_bench(cmd, env, case)
                    runs[case][side].append(result)
                    print(f"[round {round_index + 1}/{args.rounds}, {time.time() - started:.0f} s] "
                          f"{side:8} {case[0]} {case[1]} batch {case[2]}: "
                          f"{result['img_per_s']:.1f} img/s, {result['peak_rss_mb']:.0f} MB",
                          file=sys.stderr, flush=True)
    except BenchError as e:
        print(e, file=sys.stderr)
        return 1
    rows = []
    for case in cases:
        stats = {n: summarise(runs[case][n]) for n in names}
        ratios = {n: None if stats[n] is None else stats["hsnet"]["img_per_s"] /
                  stats[n]["img_per_s"] for n in names[1:]}
        rows.append({"model": case[0], "mode": case[1], "batch": case[2], "sides": stats,
                     "ratios": ratios})
    print(f"threads {args.threads}, device {args.device}, {args.rounds} rounds of "
          f"{args.warmup} warm-up + {args.steps} timed steps (median step per run, median of runs)")
    print(table(rows, names))
    waits = collections.Counter(r["openmp_wait"] for case in cases for r in runs[case]["hsnet"]
                                if r.get("openmp_wait"))
    if waits:
        print("hsnet OpenMP wait: " + ", ".join(f"{w} ({n} runs)" for w, n in waits.most_common())
              + f"; PyTorch: OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
              + (f"; torch-tc preloads {args.tcmalloc}" if "torch-tc" in names else ""))
    if args.json:
        settings = {k: getattr(args, k) for k in ("threads", "device", "rounds", "steps", "warmup",
                                                  "hsnet", "baseline", "peers", "tcmalloc")}
        with open(args.json, "w") as f:
            json.dump({"settings": settings, "rows": rows}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
