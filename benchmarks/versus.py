"""Old commit against the working tree, in one run: each benchmark script of each tree run in
turn (old, new, old, new, ...), so that the load of a shared machine falls on both alike.

For every benchmark it prints each run's timing lines and the ratio of the medians of the
times it can read (``best of 3 = X s``, ``mesolimbic X s``, ``X s per fit``, ...): a ratio
above 1 means the working tree is faster. The old tree is checked out with ``git worktree``
into a temporary folder and run from its own ``src/`` and ``benchmarks/``.

    python benchmarks/versus.py --old ba8293d [--repeats 2] [--only bench_td bench_circuit fit_mle]

``fit_mle`` is the part of ``bench_fit`` that both trees share (the sampler benchmarks
changed with the samplers): per-subject MLE of hBayesDM's example data (bandit2arm, prl_rp,
ts_par4), timed after a first call that compiles.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {"bench_td": ["--agents", "4000"], "bench_instrumental": ["--subjects", "4000"], "bench_circuit": [],
           "fit_mle": []}
#: benchmarks whose scripts changed with the samplers (bench_fit): the part both trees share, the
#: per-subject maximum-likelihood fits of hBayesDM's example data through the likelihood path
SNIPPETS = {"fit_mle": """
import time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from mesolimbic.fitting import fit_mle, load_choices
data = Path({data!r})
for task, f, model in (("bandit2arm", "bandit2arm_exampleData.txt", "bandit2arm_delta"),
                       ("prl", "prl_exampleData.txt", "prl_rp"), ("ts", "ts_exampleData.txt", "ts_par4")):
    d = load_choices(data / f, task)
    fit_mle(d, model, seed=0)
    t = time.perf_counter(); fit_mle(d, model, seed=0); t = time.perf_counter() - t
    print(f"{{model}} MLE, {{d.n_subjects}} subjects: {{t:.3f}} s")
"""}
TIME = re.compile(r"([0-9]+\.[0-9]+) ?s\b")


def run(tree: Path, script: str, args: list[str]) -> tuple[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    data = ROOT.parent / "shared" / "data" / "hbayesdm"
    cmd = (["-c", SNIPPETS[script].format(data=str(data))] if script in SNIPPETS
           else [str(tree / "benchmarks" / f"{script}.py"), *args])
    p = subprocess.run([sys.executable, *cmd], cwd=tree, env=env, capture_output=True, text=True, timeout=3600)
    text = p.stdout + (f"\n[exit {p.returncode}] {p.stderr[-400:]}" if p.returncode else "")
    return text, [float(x) for x in TIME.findall(text)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="git commit or tag of the old tree")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=list(SCRIPTS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.old], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            for script in args.only:
                extra = SCRIPTS.get(script, [])
                times: dict[str, list[list[float]]] = {"old": [], "new": []}
                for r in range(args.repeats):
                    for label, tree in (("old", old), ("new", ROOT)):
                        if script not in SNIPPETS and not (tree / "benchmarks" / f"{script}.py").exists():
                            continue
                        text, t = run(tree, script, extra)
                        times[label].append(t)
                        lines = [ln for ln in text.splitlines() if TIME.search(ln) or "exit" in ln]
                        print(f"--- {script} [{label} {args.old if label == 'old' else 'working tree'}, run {r + 1}]")
                        print("\n".join(lines) or text[-800:])
                o, n = times["old"], times["new"]
                if o and n and all(len(x) == len(o[0]) for x in o + n) and o[0]:
                    for i in range(len(o[0])):
                        mo = statistics.median(x[i] for x in o)
                        mn = statistics.median(x[i] for x in n)
                        print(f"=== {script} timing {i + 1}: old {mo:.3f} s, new {mn:.3f} s, old/new = {mo / mn:.2f}")
                else:
                    print(f"=== {script}: the two trees print different timings; compare the lines above")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
