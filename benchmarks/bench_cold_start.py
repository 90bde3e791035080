"""The first run after an install against the second: ``scratchae train conv --epochs 1`` and ``scratchae demo``.

A new user's first command compiles every Numba kernel it runs (with ``cache=True`` the second run loads
them). This measures both as the user meets them: each command in a fresh subprocess, first with an
empty Numba cache (``NUMBA_CACHE_DIR`` set to a new temporary directory), then again with that cache
warm; ``--repeat`` pairs, each with its own empty directory. For every run it reports the wall time and
the CPU time (user + system of the process and its children, which other processes on the machine
disturb much less than the wall time), and the ratios cold / warm. The load average before and after is
printed: on a busy machine the kernels' threads wait for each other, and wall times mean little.

    python benchmarks/bench_cold_start.py                          # train conv --epochs 1, then the demo
    python benchmarks/bench_cold_start.py --commands train --repeat 3
    python benchmarks/bench_cold_start.py --write-results          # also into benchmarks/RESULTS.md

Targets of the speed issue: ``train conv --epochs 1`` cold within 3x of warm; the first demo within 1.5x of
the second. No assertion: this is a measurement.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: name -> the scratchae command line it runs (with an output directory appended)
COMMANDS = {
    "train": ["train", "conv", "--epochs", "1", "--no-progress"],
    "demo": ["demo", "--no-progress"],
}


def run_once(command: list[str], cache: str, out: str) -> dict:
    """Wall and CPU seconds of one ``python -m scratchae`` run (CPU: this child's user + system time)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "scratchae", *command, "--out", out],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def cold_and_warm(command: list[str], repeat: int) -> list[dict]:
    """``repeat`` pairs of runs: a cold one (an empty cache directory), then a warm one (the same directory)."""
    pairs = []
    for _ in range(repeat):
        cache, out = tempfile.mkdtemp(prefix="scratchae-numba-cache-"), tempfile.mkdtemp(prefix="scratchae-run-")
        try:
            pairs.append({"cold": run_once(command, cache, out), "warm": run_once(command, cache, out)})
        finally:
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    return pairs


def summary(name: str, pairs: list[dict]) -> list[str]:
    """Table rows: the median over pairs (min-max) of cold, warm and cold / warm, wall and CPU."""

    def cell(values, unit=" s"):
        values = sorted(values)
        return f"{statistics.median(values):.2f}{unit} ({values[0]:.2f}-{values[-1]:.2f})"

    rows = []
    for clock in ("wall", "cpu"):
        cold, warm = [p["cold"][clock] for p in pairs], [p["warm"][clock] for p in pairs]
        ratios = [c / w for c, w in zip(cold, warm, strict=True)]
        rows.append(
            f"| `scratchae {' '.join(COMMANDS[name])}` | {clock} | {cell(cold)} | {cell(warm)} | "
            f"**{statistics.median(ratios):.2f}x** ({min(ratios):.2f}-{max(ratios):.2f}) |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--commands",
        type=lambda s: s.split(","),
        default=list(COMMANDS),
        help=f"comma-separated, from {', '.join(COMMANDS)} (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="cold/warm pairs per command (default 2)")
    parser.add_argument(
        "--write-results", action="store_true", help="replace the cold-start section of benchmarks/RESULTS.md"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    lines = [
        "| command | clock | first run (empty cache) | second run (cache warm) | first / second |",
        "|---|---|---:|---:|---:|",
    ]
    for name in args.commands:
        pairs = cold_and_warm(COMMANDS[name], args.repeat)
        lines += summary(name, pairs)
        print("\n".join(lines[-2:]), flush=True)
    load_after = os.getloadavg()
    note = (
        f"Median of {args.repeat} cold/warm pairs (min-max); CPU = user + system time of the command's "
        f"process. Load average (1 min) {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end, "
        f"on {os.cpu_count()} CPUs; measured {time.strftime('%Y-%m-%d %H:%M')}."
    )
    print(note)
    if args.write_results:
        write_section(
            [
                "## First run after an install (`benchmarks/bench_cold_start.py`)",
                "",
                "Each command in a fresh process: first with an empty Numba cache (every kernel it runs "
                "is compiled), then with that cache warm.",
                "",
                *lines,
                "",
                note,
                "",
            ]
        )


def write_section(section: list[str], path: str = os.path.join(HERE, "RESULTS.md")) -> None:
    """Put ``section`` into RESULTS.md in place of the section of the same title (or at the end)."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    title = re.escape(section[0])
    pattern = re.compile(rf"^{title}\n.*?(?=^## |\Z)", re.S | re.M)
    block = "\n".join(section) + "\n"
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
