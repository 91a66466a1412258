"""One page, two checkouts of the code, timed in turns: what a change did to a page on a machine whose speed drifts.

    DEMO_PASSWORD=... python3 benchmarks/ab.py --before ../before-checkout --after . \\
        --database-url "postgresql+psycopg://postgres@/bench10?host=/tmp/pgdev" --email mash@synthetic.example \\
        /discussions/243751 [--rounds 30]

Each checkout serves the page in a process of its own (its own .venv/bin/python, its own code); the two take turns,
five requests each, for --rounds rounds, the order swapped every round. On a shared machine the same code was 20 to
40% slower from one minute to the next, more than most changes: comparing each round's two medians cancels that
out. Prints both medians and the median (and quartiles) of the per-round after/before ratio.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import subprocess
import sys
import time

TURN = 5


def serve(url: str, email: str, password: str) -> None:
    """The worker: signs in, then answers "PATH N" lines with N requests' times in milliseconds."""
    sys.path.insert(0, os.getcwd())
    logging.disable(logging.INFO)
    from benchmarks.pages import Visitor, build_app

    visitor = Visitor(build_app(url), email, password)
    print("ready", flush=True)
    for line in sys.stdin:
        path, count = line.split()
        if count == "warm":
            for _ in range(5):
                status = visitor.get(path).status_code
                if status != 200:
                    print(f"failed {status}", flush=True)
                    break
            else:
                gc.collect()
                gc.freeze()  # as app.py does for each worker
                print("ok", flush=True)
            continue
        times = []
        for _ in range(int(count)):
            start = time.perf_counter()
            visitor.get(path)
            times.append((time.perf_counter() - start) * 1000)
        print(" ".join(f"{t:.3f}" for t in times), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--before", required=True, help="the checkout before the change (with its .venv)")
    parser.add_argument("--after", required=True, help="the checkout after the change (with its .venv)")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD"))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.password:
        parser.error("give --password or set DEMO_PASSWORD")
    if args.serve:
        serve(args.database_url, args.email, args.password)
        return

    workers = {}
    for name in ("before", "after"):
        tree = os.path.abspath(getattr(args, name))
        workers[name] = subprocess.Popen(
            [os.path.join(tree, ".venv", "bin", "python"), os.path.abspath(__file__), "--serve", args.path,
             "--before", tree, "--after", tree, "--database-url", args.database_url, "--email", args.email,
             "--password", args.password],
            cwd=tree, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": tree})
        if workers[name].stdout.readline().strip() != "ready":
            parser.error(f"the {name} checkout's worker did not start")

    def ask(name: str, line: str) -> str:
        workers[name].stdin.write(line + "\n")
        workers[name].stdin.flush()
        return workers[name].stdout.readline().strip()

    for name in workers:
        answer = ask(name, f"{args.path} warm")
        if answer != "ok":
            parser.error(f"{args.path} on the {name} checkout: {answer}")
    times: dict[str, list[float]] = {name: [] for name in workers}
    ratios = []
    for round_ in range(args.rounds):
        medians = {}
        for name in (("before", "after") if round_ % 2 == 0 else ("after", "before")):
            turn = [float(t) for t in ask(name, f"{args.path} {TURN}").split()]
            times[name] += turn
            medians[name] = statistics.median(turn)
        ratios.append(medians["after"] / medians["before"])
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    quartiles = statistics.quantiles(ratios, n=4)
    print(f"{args.email} {args.path}: p50 before {statistics.median(times['before']):.1f} ms, after "
          f"{statistics.median(times['after']):.1f} ms; after / before, median of {args.rounds} rounds "
          f"{statistics.median(ratios):.3f} (quartiles {quartiles[0]:.3f} to {quartiles[2]:.3f})")


if __name__ == "__main__":
    main()
