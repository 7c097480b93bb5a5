"""How live is `mesolimbic lab`: the time from a parameter change to the redrawn figure.

Starts the lab (which compiles its models once), opens it in Debian's headless
Chromium and moves the Pavlovian view's learning-rate slider N times with the
keyboard (Schultz 1997 design, TD(λ), 100 agents, 200 trials). Each change
re-simulates the 100 agents on the server and redraws the figure in the browser.
Printed per change, measured in the page: key press -> Plotly's `afterplot` (the
whole round trip), and from the server, the simulation and figure-building times.
The same for the choice view (two-armed bandit, Q-learning, its beta slider).

    python benchmarks/bench_lab.py [--changes 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lab_browser import Lab, Page, chromium


def measure(page: Page, view: str, group: str, name: str, n: int) -> list[dict]:
    from selenium.webdriver.common.keys import Keys

    page.timed()
    thumb = page.slider(view, group, name)
    rows = []
    for i in range(n):
        key = Keys.ARROW_RIGHT if (i // 5) % 2 == 0 else Keys.ARROW_LEFT  # wander, never repeat a cached value
        rev = page.meta(view)["rev"]
        thumb.send_keys(key)
        meta = page.wait(view, rev)
        t = page.d.execute_script("return window.__lab")
        drawn = t["drawn"].get(f"{view}-graph")
        rows.append({"round_trip_ms": (drawn - t["key"]) if drawn else float("nan"),
                     "simulate_ms": meta["simulate_ms"], "draw_ms": meta["draw_ms"], "simulated": meta["simulated"]})
        page.timed()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=20)
    args = ap.parse_args()
    if chromium() is None:
        sys.exit("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}, on {os.cpu_count()} CPUs")
    lab = Lab()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            page = Page(lab.url, Path(tmp))
            try:
                page.wait("pav")
                lab.wait_line("every model compiled")  # the background warm-up is over
                results = {"pavlovian (TD, Schultz 1997)": measure(page, "pav", "td", "alpha", args.changes)}
                page.tab("Choice")
                page.wait("cho")
                results["choice (bandit, Q-learning)"] = measure(page, "cho", "q", "beta", args.changes)
            finally:
                page.close()
    finally:
        lab.stop()
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}, on {os.cpu_count()} CPUs")
    for what, rows in results.items():
        rt = [r["round_trip_ms"] for r in rows]
        sim = [r["simulate_ms"] for r in rows]
        fig = [r["draw_ms"] for r in rows]
        print(f"{what}: {len(rows)} changes, every one re-simulated: {all(r['simulated'] for r in rows)}")
        print(f"  key press -> redrawn (browser): median {statistics.median(rt):.0f} ms, worst {max(rt):.0f} ms")
        print(f"  simulate 100 agents (server):   median {statistics.median(sim):.0f} ms, worst {max(sim):.0f} ms")
        print(f"  build the figure (server):      median {statistics.median(fig):.0f} ms, worst {max(fig):.0f} ms")


if __name__ == "__main__":
    main()
