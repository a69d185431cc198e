#!/usr/bin/env python3
"""Fails when a library file includes a header of a layer DESIGN.md's picture puts above it.

Reads every `#include "..."` in the library folders and checks the first path component of
the included file against the folders its own folder may use (the arrows of shared/DESIGN.md,
"Layers"). Prints one line per forbidden include, naming file, line and include.
Usage: check_includes.py [repository root]
"""
import pathlib
import re
import sys

BOTTOM = {"core", "kernels"}
# Each library folder and the folders it may include (itself always).
ALLOWED = {
    "core": set(),
    "kernels": {"core"},
    "cuda": BOTTOM,
    "ops": BOTTOM | {"cuda"},
    "autograd": BOTTOM | {"ops"},
    # dist/ (process groups, the gradient reducer) reaches cuda/ only for the NCCL group's
    # stream, as ops/ does for kernels.
    "dist": BOTTOM | {"ops", "autograd", "cuda"},
    "nn": BOTTOM | {"ops", "autograd", "dist"},
    "data": BOTTOM | {"ops", "autograd"},
    "models": BOTTOM | {"ops", "autograd", "dist", "nn"},
}
# The top folders may use every library folder but cuda/: nothing above ops/ names a device
# backend (DESIGN.md, "Dispatch").
for top in ("tools", "examples", "bench"):
    ALLOWED[top] = {f for f in ALLOWED if f != "cuda"}
SOURCE_SUFFIXES = {".h", ".cpp", ".cu", ".cuh"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def violations(root):
    for folder, allowed in ALLOWED.items():
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                top = target.split("/")[0] if "/" in target else folder
                if top != folder and top in ALLOWED and top not in allowed:
                    yield f"{path.relative_to(root)}:{number}: {folder}/ may not include \"{target}\""


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    missing = [f for f in ALLOWED if not (root / f).is_dir()]
    if missing:
        print(f"check_includes: no folder {', '.join(missing)} under {root}")
        return 1
    found = list(violations(root))
    for v in found:
        print(v)
    if found:
        print(f"check_includes: {len(found)} include(s) against the layers of DESIGN.md")
        return 1
    print("check_includes: every include follows the layers of DESIGN.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
