#!/usr/bin/env python3
"""Turn the criterion results of `cargo bench -p sundial-calendar --bench calendar`
into the README's Markdown table.

Usage: python3 calendar/benches/table.py [CRITERION_DIR]   (default: target/criterion)

Reads every <dir>/<group>/<function>/new/{benchmark,estimates}.json (criterion
0.5 layout; the group is the spec, the function the measurement) and prints one
row per spec with mean times in nanoseconds. Speedup = cron next / sundial next.
"""

import json
import sys
from pathlib import Path

SUITE_ORDER = [
    "minutely", "hourly", "daily", "Mon..Fri 09:00", "*-*-01 00:00", "*:0/15",
    "Mon *-*-1..7 10:00", "*-02-29", "Sat,Sun 10:00", "quarterly", "*-*~01 23:00",
    "Mon..Fri *-*-* 08..18/2:30:00 Europe/Berlin",
]


def load(root):
    results = {}
    for bench in root.glob("*/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        results.setdefault(meta["group_id"], {})[meta["function_id"]] = \
            estimates["mean"]["point_estimate"]
    return results


def ns(value):
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def speedup(cron, ours):
    return f"{cron / ours:.1f}×" if cron and ours else "–"


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    results = load(root)
    if not results:
        sys.exit(f"no criterion results under {root}")
    specs = [s for s in SUITE_ORDER if s in results] + \
        sorted(s for s in results if s not in SUITE_ORDER)
    print("| spec | sundial parse ns | sundial next ns (UTC / Berlin) "
          "| cron next ns (UTC / Berlin) | speedup (UTC / Berlin) |")
    print("|---|---:|---:|---:|---:|")
    for spec in specs:
        r = results[spec]
        get = r.get
        print(f"| `{spec}` | {ns(get('sundial parse'))} "
              f"| {ns(get('sundial next UTC'))} / {ns(get('sundial next Europe/Berlin'))} "
              f"| {ns(get('cron next UTC'))} / {ns(get('cron next Europe/Berlin'))} "
              f"| {speedup(get('cron next UTC'), get('sundial next UTC'))} / "
              f"{speedup(get('cron next Europe/Berlin'), get('sundial next Europe/Berlin'))} |")


if __name__ == "__main__":
    main()
