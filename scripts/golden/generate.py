#!/usr/bin/env python3
"""Regenerate the golden files under tests/golden/ from systemd-analyze.

Usage: scripts/golden/generate.py [CASES...]   (default: scripts/golden/*.cases)

Each `NAME.cases` file becomes `tests/golden/NAME.golden`. The golden files are
checked in; tests/golden_time.rs replays them against the `sundial` binary, so
systemd-analyze is needed only here, never at test time.

Cases file format
-----------------
    # comment (also blank lines are ignored)
    %% command=calendar; tz=UTC|Europe/Berlin; base=2024-02-28 23:59:59 UTC; iterations=3
    minutely                   one invocation per input, taken verbatim
    " 12:00"                   a line starting with `"` is a JSON string
    ["daily", "*", "hourly"]   a line starting with `[` is one invocation with several args

A `%%` line starts a group; every following input runs once per TZ value (`|`
separated) and once per base time. Keys:
    command     calendar | timespan | timestamp (default: the previous group's)
    tz          TZ values, `|` separated (required)
    base        --base-time values, `|` separated (calendar only)
    around      a UTC instant `YYYY-MM-DD HH:MM[:SS]`: adds the base times
                T-12h, T-65min, T-5min, T-1s, T, T+5min, T+35min, T+65min (for DST
                transitions)
    iterations  --iterations value (calendar only)
    batch       `yes`: all inputs of the group in one invocation per TZ/base

systemd 252 rejects IANA zone names in timestamps (a bug fixed in v253) while
sundial accepts them on purpose. Timestamp inputs whose last word names a zone
file (other than UTC) are therefore not recorded as goldens; they are listed in
tests/golden/KNOWN_DIFFERENCES.md instead.

Golden file format
------------------
    === <case id>
    env TZ=<value>
    arg <JSON string>           one line per argv element after the program name
    exit <status>
    out <line>                  stdout, "From now:" lines removed (`out` alone = empty line)
    err <line>                  stderr (`err` alone = empty line)
    outj/errj <JSON string>     a line with trailing whitespace or control characters
"""

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "scripts" / "golden"
GOLDEN_DIR = ROOT / "tests" / "golden"
ZONEINFO = Path(os.environ.get("TZDIR", "/usr/share/zoneinfo"))

FROM_NOW = re.compile(r"^\s*From now: ")
LOOP_FAILURE = re.compile(r"^Failed to determine next elapse for '(.*)': ")
AROUND_OFFSETS = [
    datetime.timedelta(hours=-12),
    datetime.timedelta(minutes=-65),
    datetime.timedelta(minutes=-5),
    datetime.timedelta(seconds=-1),
    datetime.timedelta(0),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=35),
    datetime.timedelta(minutes=65),
]


def fail(msg):
    sys.exit(f"generate.py: {msg}")


def parse_input(line, where):
    if line.startswith('"'):
        value = json.loads(line)
        if not isinstance(value, str):
            fail(f"{where}: expected a JSON string")
        return [value]
    if line.startswith("["):
        value = json.loads(line)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"{where}: expected a JSON array of strings")
        return value
    return [line]


def parse_header(line, previous, where):
    group = {"command": previous.get("command"), "tz": None, "base": [None],
             "iterations": None, "batch": False, "inputs": []}
    bases = []
    for item in line[2:].split(";"):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"{where}: expected key=value, found {item!r}")
        key, value = key.strip(), value.strip()
        if key == "command":
            if value not in ("calendar", "timespan", "timestamp"):
                fail(f"{where}: unknown command {value!r}")
            group["command"] = value
        elif key == "tz":
            group["tz"] = value.split("|")
        elif key == "base":
            bases += value.split("|")
        elif key == "around":
            t = datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.timezone.utc)
            bases += [(t + d).strftime("%Y-%m-%d %H:%M:%S UTC") for d in AROUND_OFFSETS]
        elif key == "iterations":
            group["iterations"] = int(value)
        elif key == "batch":
            group["batch"] = value == "yes"
        else:
            fail(f"{where}: unknown key {key!r}")
    if group["command"] is None or group["tz"] is None:
        fail(f"{where}: a group needs command= and tz=")
    if bases:
        group["base"] = bases
    if group["command"] != "calendar" and (bases or group["iterations"]):
        fail(f"{where}: base/iterations only apply to calendar")
    return group


def read_cases(path):
    groups = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{number}"
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("%%"):
            groups.append(parse_header(raw, groups[-1] if groups else {}, where))
            continue
        if not groups:
            fail(f"{where}: input before the first %% header")
        args = parse_input(raw, where)
        for arg in args:
            if "\n" in arg or "\0" in arg:
                fail(f"{where}: arguments must not contain newlines or NUL")
        groups[-1]["inputs"].append(args)
    return groups


def is_zone_file(word):
    """Whether `word` names a TZif file, as systemd 252's timezone_is_valid checks."""
    if not word or word.startswith("/") or "//" in word or word.endswith("/"):
        return False
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", word) or ".." in word.split("/"):
        return False
    try:
        with open(ZONEINFO / word, "rb") as f:
            return f.read(4) == b"TZif"
    except OSError:
        return False


def iana_suffix(timestamp):
    words = timestamp.split(" ")
    return len(words) > 1 and words[-1].upper() != "UTC" and is_zone_file(words[-1])


def invocations(groups):
    """Yields (command and options, inputs, TZ)."""
    for group in groups:
        batches = [[a for args in group["inputs"] for a in args]] if group["batch"] \
            else group["inputs"]
        for tz in group["tz"]:
            for base in group["base"]:
                for args in batches:
                    prefix = [group["command"]]
                    if group["iterations"] is not None:
                        prefix.append(f"--iterations={group['iterations']}")
                    if base is not None:
                        prefix.append(f"--base-time={base}")
                    yield prefix, list(args), tz


def command_line(prefix, inputs):
    return prefix + (["--"] if any(a.startswith("-") for a in inputs) else []) + inputs


def run(argv, tz):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": tz, "LANG": "C.UTF-8",
           "SYSTEMD_PAGER": "cat", "SYSTEMD_COLORS": "0"}
    proc = subprocess.run(["systemd-analyze", *argv], env=env, capture_output=True,
                          timeout=60)
    out = proc.stdout.decode("utf-8").splitlines()
    err = proc.stderr.decode("utf-8").splitlines()
    return proc.returncode, [l for l in out if not FROM_NOW.match(l)], err


def write_golden(path, stem, groups):
    lines = [f"# Generated by scripts/golden/generate.py from {stem}.cases with",
             f"# {version()}. Do not edit; regenerate.", ""]
    known = []
    known_loops = []
    known_early = []
    count = 0
    for prefix, inputs, tz in invocations(groups):
        if prefix[0] == "timestamp":
            known += [(tz, a) for a in inputs if iana_suffix(a)]
            inputs = [a for a in inputs if not iana_suffix(a)]
        while inputs:
            argv = command_line(prefix, inputs)
            status, out, err = run(argv, tz)
            if prefix[0] != "calendar":
                break
            base = next((a.removeprefix("--base-time=") for a in prefix
                         if a.startswith("--base-time=")), None)
            # systemd 252 gives up on some specs at DST gaps ("Infinite loop in
            # calendar calculation", no block, exit 0), and with a local
            # abbreviation (forced DST flag) inside a fold it reports elapses
            # before the base time. sundial does neither: keep such specs out of
            # the goldens and list them.
            looping = [m.group(1) for l in err for m in [LOOP_FAILURE.match(l)] if m]
            early = elapses_before_base(out, base, tz) if base else []
            if not looping and not early:
                break
            known_loops += [(tz, base, a) for a in looping]
            known_early += [(tz, base, a) for a in early]
            dropped = set(looping) | set(early)
            inputs = [a for a in inputs if a not in dropped]
        if not inputs:
            continue
        count += 1
        lines.append(f"=== {stem}-{count:04}")
        lines.append(f"env TZ={tz}")
        lines += ["arg " + json.dumps(a, ensure_ascii=False) for a in argv]
        lines.append(f"exit {status}")
        lines += [output_line("out", l) for l in out]
        lines += [output_line("err", l) for l in err]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return count, (known, known_loops, known_early)


ELAPSE = re.compile(r"^\s*(?:Next elapse|Iter\. #\d+): (.*)$")
IN_UTC = re.compile(r"^\s*\(in UTC\): (.*)$")
_base_cache = {}


def epoch_of_base(base, tz):
    """The base time in whole seconds since the epoch, as systemd reads it."""
    if (base, tz) not in _base_cache:
        _, out, _ = run(["timestamp", base], tz)
        seconds = next(l.split("@", 1)[1] for l in out if "UNIX seconds:" in l)
        _base_cache[(base, tz)] = int(float(seconds))
    return _base_cache[(base, tz)]


def utc_epoch(text):
    t = datetime.datetime.strptime(text.removesuffix(" UTC"), "%a %Y-%m-%d %H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())


def elapses_before_base(out, base, tz):
    """Inputs whose printed elapses include one before the base time's second
    (printed elapses are truncated to the second, so equal is not early)."""
    limit = epoch_of_base(base, tz)
    early, key, original, pending = [], None, None, None
    for line in out + [""]:
        stripped = line.strip()
        if pending is not None:
            m = IN_UTC.match(line)
            text = m.group(1) if m else pending
            if text.endswith(" UTC") and utc_epoch(text) < limit and key not in early:
                early.append(key)
            pending = None
        if stripped.startswith("Original form: "):
            original = stripped.removeprefix("Original form: ")
        elif stripped.startswith("Normalized form: "):
            key = original if original is not None else stripped.removeprefix("Normalized form: ")
            original = None
        elif (m := ELAPSE.match(line)) and m.group(1) != "never":
            pending = m.group(1)
    return early


def output_line(tag, line):
    """`tag line`, or `tagj "json"` when whitespace or control characters at the
    end or inside would not survive editors and `git diff` unharmed."""
    if not line:
        return tag
    if line != line.rstrip() or any(ord(c) < 32 or ord(c) == 127 for c in line):
        return f"{tag}j " + json.dumps(line, ensure_ascii=False)
    return f"{tag} {line}"


def version():
    out = subprocess.run(["systemd-analyze", "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0]


def write_known(known, loops, early):
    path = GOLDEN_DIR / "KNOWN_DIFFERENCES.md"
    lines = [
        "# Known differences from systemd-analyze 252",
        "",
        "Generated by scripts/golden/generate.py. These inputs are deliberately not in",
        "the golden files.",
        "",
        "## Timestamps with an IANA zone name",
        "",
        "systemd 252 rejects `sundial timestamp` inputs whose last word is an IANA zone",
        "name (for example `2012-11-23 11:12:13 Europe/Berlin`), a bug fixed in v253",
        "(systemd issue #26370, PR #26409). Zone files that double as local",
        "abbreviations (`CET`, `EST`) take the same broken path in 252 and fail even",
        "where the abbreviation is the local one. sundial accepts them on purpose.",
        "",
        "| TZ | input |",
        "|---|---|",
    ]
    seen = set()
    for tz, arg in known:
        if (tz, arg) not in seen:
            seen.add((tz, arg))
            lines.append(f"| {tz} | `{arg}` |")
    lines += [
        "",
        "## Calendar specs systemd 252 cannot compute at a DST gap",
        "",
        "For these, systemd-analyze 252 prints `Infinite loop in calendar calculation`",
        "and `Failed to determine next elapse`, prints no block for the spec and still",
        "exits 0: its search normalises a wall time inside the gap through mktime and",
        "keeps landing on the same candidate. sundial should skip the missing wall times and",
        "is expected to report the next elapse, as for every other gap.",
        "",
        "| TZ | base time | spec |",
        "|---|---|---|",
    ]
    for tz, base, arg in loops:
        lines.append(f"| {tz} | `{base}` | `{arg}` |")
    lines += [
        "",
        "## Calendar specs systemd 252 reports elapses for before the base time",
        "",
        "A local zone abbreviation as the zone of a spec (`*:* CEST` with",
        "TZ=Europe/Berlin, `*:* +11` with TZ=Australia/Lord_Howe) forces the DST flag.",
        "Inside a fall-back fold systemd 252 then resolves the next wall time in the",
        "summer-time reading even when that instant lies before the base time, so the",
        "\"next\" elapse is in the past. sundial keeps every elapse strictly after the",
        "base (the property a scheduler relies on), so these cases are not goldens.",
        "",
        "| TZ | base time | spec |",
        "|---|---|---|",
    ]
    for tz, base, arg in early:
        lines.append(f"| {tz} | `{base}` | `{arg}` |")
    lines += [
        "",
        "## A local abbreviation after an earlier input of the same invocation",
        "",
        "systemd 252 compares a last word with glibc's `tzname[0]` and `tzname[1]`,",
        "which `tzset()` sets from a TZif file's latest standard and daylight-saving",
        "transitions (Asia/Tokyo: `JST` and `JDT`) but every `localtime()` call past",
        "the last transition resets to the footer rule's names (`JST` twice). Its",
        "answer for an input therefore depends on what was printed for the inputs",
        "before it. sundial answers every input as systemd-analyze answers it alone,",
        "so local-abbreviations.cases runs one input per invocation.",
        "",
        "| TZ | command | arguments | systemd-analyze 252 |",
        "|---|---|---|---|",
        "| Asia/Tokyo | timestamp | `2024-07-01 12:00 JST` `2024-07-01 12:00 JDT` "
        "| rejects the second |",
        "| Asia/Tokyo | calendar | `*-*-* 12:00 JST` `*-*-* 12:00 JDT` | rejects the second |",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    paths = [Path(p) for p in sys.argv[1:]] or sorted(CASES_DIR.glob("*.cases"))
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    known, loops, early = [], [], []
    for path in paths:
        stem = path.name.removesuffix(".cases")
        count, (k, l, e) = write_golden(GOLDEN_DIR / f"{stem}.golden", stem, read_cases(path))
        known += k
        loops += l
        early += e
        print(f"{stem}: {count} cases")
    if not sys.argv[1:]:
        write_known(known, loops, early)


if __name__ == "__main__":
    main()
