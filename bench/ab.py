"""CPU per request of two versions of the code, interleaved: `bench/cpu_per_request.py` run
alternately on a checkout of BASE (a `git worktree` in a temporary folder) and on this one,
`--rounds` times each, so that the VM's drift falls on both alike.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/ab.py 7c28801

Environment variables listed with --env (e.g. --env METRICS_ENABLED=false) apply to this
checkout's runs only, to measure what a setting costs. A report, never a test.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SCRIPT = PROJECT / "bench" / "cpu_per_request.py"


def run(project: Path, extra_env: dict, passthrough: list[str]) -> dict:
    env = {**os.environ, "BENCH_PROJECT": str(project), **extra_env}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *passthrough], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{project}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the commit to compare against (e.g. HEAD~3)")
    parser.add_argument("--other", help="a commit to measure instead of this checkout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--env", action="append", default=[], help="NAME=value for this checkout's runs only")
    args, passthrough = parser.parse_known_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="wallet-ab-") as root:
        trees = {"base": args.base, **({"other": args.other} if args.other else {})}
        for name, ref in trees.items():
            subprocess.run(["git", "worktree", "add", "--detach", f"{root}/{name}", ref], cwd=PROJECT, check=True)
        measured = Path(root) / "other" if args.other else PROJECT
        try:
            rows = []
            for number in range(1, args.rounds + 1):
                before = run(Path(root) / "base", {}, passthrough)
                after = run(measured, extra_env, passthrough)
                rows.append((number, before, after))
                print(f"round {number}: before {before}  after {after}", flush=True)
        finally:
            for name in trees:
                subprocess.run(["git", "worktree", "remove", "--force", f"{root}/{name}"], cwd=PROJECT, check=False)
    print(f"\nms of app CPU per request (in-process), {args.base} against {args.other or 'this checkout'}:")
    for scenario in rows[0][1]:
        before = [row[1][scenario] for row in rows]
        after = [row[2][scenario] for row in rows]
        change = (min(after) - min(before)) / min(before) * 100
        print(
            f"  {scenario:10} before {' '.join(f'{v:.3f}' for v in before)}  "
            f"after {' '.join(f'{v:.3f}' for v in after)}  (best {change:+.1f} %)"
        )


if __name__ == "__main__":
    main()
