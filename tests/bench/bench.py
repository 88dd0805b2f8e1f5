"""``make bench``: the speed figures of mpesa-agent, side by side, medians over several runs.

1. Cold start: ``mpesa-agent --help`` against ``python -c "import click, requests"`` (the floor any click +
   requests CLI pays). Both in fresh processes.
2. The demo's phases (browser start + admin login, each portal flow, link, push, status) from ``mpesa-agent demo
   --json`` run several times against the embedded sandbox.

3. Setup per markup mode of the sandbox portal (tests/portal/test_markup_matrix.py, one skin at a time): seconds
   per mode and the waits that ran their full timeout (there should be none).

Usage: python tests/bench/bench.py [--runs N] [--demo-runs M] [--markup-skins classic,current | --markup-skins ""]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def timed(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, timeout=120)
        samples.append(time.perf_counter() - started)
    return samples


def markup_figures(skins: list[str]) -> None:
    """Run the markup matrix per skin and print setup seconds per mode and any wait that ran out its timeout."""
    root = Path(__file__).resolve().parents[2]
    print("\nSetup per markup mode (seconds; waits that ran their full timeout)")
    for skin in skins:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "markup.jsonl"
            env = {**os.environ, "MPESA_AGENT_BENCH_OUT": str(out)}
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/portal/test_markup_matrix.py"]
            subprocess.run([*argv, "-k", skin], cwd=root, env=env, capture_output=True, check=False, timeout=1800)
            lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        for line in lines:
            row = json.loads(line)
            expired = ", ".join(row["expired"]) or "none"
            print(f"  {row['skin'] + ' ' + row['markup']:<46}{row['seconds']:8.2f}   expired waits: {expired}")
        if not lines:
            print(f"  {skin}: no figures (the matrix did not run; try pytest tests/portal/test_markup_matrix.py)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--markup-skins", default="classic,current", help='comma-separated; "" skips the matrix')
    args = parser.parse_args()

    agent = str(VENV_BIN / "mpesa-agent")
    baseline = timed([sys.executable, "-c", "import click, requests"], args.runs)
    help_ = timed([agent, "--help"], args.runs)
    print(f"Cold start, median of {args.runs} runs")
    floor = 'python -c "import click, requests"'
    print(f"  {floor:<40}{statistics.median(baseline) * 1000:8.0f} ms")
    print(f"  {'mpesa-agent --help':<40}{statistics.median(help_) * 1000:8.0f} ms")

    phases: dict[str, list[float]] = {}
    totals = []
    for _ in range(args.demo_runs):
        started = time.perf_counter()
        out = subprocess.run([agent, "demo", "--json"], capture_output=True, text=True, check=True, timeout=300)
        totals.append(time.perf_counter() - started)
        data = json.loads(out.stdout)
        for step in data["steps"]:
            phases.setdefault(step["key"], []).append(float(step["seconds"]))
        for key, value in data["phases"].items():
            phases.setdefault(f"phase:{key}", []).append(float(value))
    print(f"\nDemo, median of {args.demo_runs} runs (seconds)")
    labels = {"admin-login": "browser start + admin login (captcha, OTP)"}
    for key, samples in phases.items():
        print(f"  {labels.get(key, key):<46}{statistics.median(samples):8.2f}")
    print(f"  {'whole demo (process wall time)':<46}{statistics.median(totals):8.2f}")
    markup_figures([s for s in args.markup_skins.split(",") if s.strip()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
