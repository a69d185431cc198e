"""Fuzzes each target until its coverage stops growing, and prints one table row per target.

    python3 fuzz/run_to_plateau.py --build build-san --quiet 600 --max 3600 png idx

A target runs (libFuzzer, on a scratch copy of fuzz/corpus/<target>/, the flags of
fuzz/run_fuzzer.sh) until its edge coverage ("cov:") has not grown for --quiet seconds, or
for --max seconds in all, whichever comes first; a row says which ended it. Needs a build
made with -Dfuzz=true (clang, libFuzzer). New corpus entries stay in the scratch folder
(--keep DIR copies them out); crashes and slow units go to DIR/artifacts/<target>/ under
--keep, or a scratch folder otherwise, and are listed. --continue DIR starts from the corpus an
earlier --keep DIR grew as well, so a target that did not level off can go on where it was.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["safetensors", "idx", "cifar", "png", "jpeg", "train_config", "resume_state",
           "sweep_spec"]
# libFuzzer's status lines: "#1234	NEW    cov: 567 ft: 890 corp: 12/3456b ... exec/s: 78 ..."
STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def fuzz(binary, corpora, scratch, artifacts, quiet, limit):
    cmd = [binary, "-max_len=16384", "-timeout=20", "-rss_limit_mb=2048", "-print_final_stats=1",
           f"-max_total_time={limit}", f"-artifact_prefix={artifacts}/", scratch] + corpora
    started = time.time()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            errors="replace")
    state = {"first": None, "last": None, "last_gain": 0.0, "ended_by": "max time"}

    def watchdog():
        while proc.poll() is None:
            time.sleep(5)
            if state["last"] and time.time() - started - state["last_gain"] >= quiet:
                state["ended_by"] = f"no new coverage for {quiet} s"
                proc.terminate()
                return
    threading.Thread(target=watchdog, daemon=True).start()
    for line in proc.stderr:
        m = STATUS.match(line)
        if not m:
            continue
        execs, cov, ft, corp = int(m[1]), int(m[3]), int(m[4]), int(m[5])
        now = time.time() - started
        if state["first"] is None:
            state["first"] = (now, execs, cov, ft, corp)
        if state["last"] is None or cov > state["last"][2]:
            state["last_gain"] = now
        state["last"] = (now, execs, cov, ft, corp)
    proc.wait()
    if proc.returncode not in (0, -15) and state["ended_by"] == "max time":
        state["ended_by"] = f"exit status {proc.returncode}"
    state["elapsed"] = time.time() - started
    return state


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="*", default=TARGETS, help="; ".join(TARGETS))
    p.add_argument("--build", default="build-san", help="a -Dfuzz=true build folder")
    p.add_argument("--quiet", type=int, default=600, help="seconds without new coverage")
    p.add_argument("--max", type=int, default=3600, help="seconds per target at most")
    p.add_argument("--keep", metavar="DIR", help="copy each grown corpus and artifacts here")
    p.add_argument("--continue", dest="resume", metavar="DIR",
                   help="also start from DIR/corpus/<target> (an earlier --keep DIR)")
    args = p.parse_args(argv)
    for target in args.targets:
        if target not in TARGETS:
            p.error(f"unknown target {target} (one of {', '.join(TARGETS)})")
    for target in args.targets:
        binary = os.path.join(args.build, "fuzz", f"fuzz_{target}")
        if not os.access(binary, os.X_OK):
            p.error(f"{binary} is missing: build with -Dfuzz=true (CXX=clang++)")
        with tempfile.TemporaryDirectory() as tmp:
            scratch = os.path.join(tmp, "corpus")
            os.mkdir(scratch)
            base = args.keep or tmp
            artifacts = os.path.join(base, "artifacts", target)
            os.makedirs(artifacts, exist_ok=True)
            corpora = [os.path.join(HERE, "corpus", target)]
            if args.resume and os.path.isdir(os.path.join(args.resume, "corpus", target)):
                corpora.append(os.path.join(args.resume, "corpus", target))
            s = fuzz(binary, corpora, scratch, artifacts, args.quiet, args.max)
            if args.keep:
                shutil.copytree(scratch, os.path.join(args.keep, "corpus", target),
                                dirs_exist_ok=True)
            found = sorted(os.listdir(artifacts))
        first, last = s["first"] or (0, 0, 0, 0, 0), s["last"] or (0, 0, 0, 0, 0)
        row = (f"{target:13} {s['elapsed']:6.0f} s  {last[1]:9d} execs  "
               f"{last[1] / max(s['elapsed'], 1e-9):7.0f}/s  cov {first[2]:5d} -> {last[2]:5d} "
               f"(last gain at {s['last_gain']:.0f} s)  ft {last[3]:6d}  corpus {last[4]:5d}  "
               f"ended by {s['ended_by']}  findings {len(found)}"
               + (f" {found}" if found else ""))
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
