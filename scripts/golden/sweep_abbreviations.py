#!/usr/bin/env python3
"""Compare which local abbreviations sundial and systemd-analyze accept.

Usage: scripts/golden/sweep_abbreviations.py SUNDIAL_BINARY [ZONE...]

For every zone under /usr/share/zoneinfo except the posix/ and right/ copies
(or the zones or POSIX TZ rules given), and every
abbreviation its TZif file mentions (its local time types and its footer
rule), runs `timestamp '2024-07-01 12:00 ABBR'` and `calendar --iterations=2
--base-time='2024-06-30 UTC' '*-*-* 12:00 ABBR'` under TZ=<zone> once with
systemd-analyze and once with sundial, one input per process (glibc's
tzname changes with each localtime() call, so a second input in the same
process can see other names), and prints every disagreement. Abbreviations
that are also zone file names (`CET`, `EST`) take systemd 252's broken IANA
path in `timestamp` and are skipped there (tests/golden/KNOWN_DIFFERENCES.md);
`calendar` accepts zone names and is compared for them too.

A developer tool: the golden files, not this sweep, are what the tests replay.
"""

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

ZONEINFO = Path(os.environ.get("TZDIR", "/usr/share/zoneinfo"))
DATE = "2024-07-01 12:00"
CALENDAR = ["calendar", "--iterations=2", "--base-time=2024-06-30 UTC"]
FROM_NOW = re.compile(r"^\s*From now: ")


def tzif_abbreviations(data):
    """The abbreviations of the 64-bit section's types, and the footer."""
    if not data.startswith(b"TZif"):
        return None
    version = data[4:5]

    def header(offset):
        return struct.unpack(">6l", data[offset + 20:offset + 44])

    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(0)
    offset = 44
    if version >= b"2":
        offset += timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
        isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(offset)
        offset += 44
        tsize = 8
    else:
        tsize = 4
    offset += timecnt * (tsize + 1)
    types = [struct.unpack(">lBB", data[offset + 6 * i:offset + 6 * i + 6]) for i in range(typecnt)]
    offset += typecnt * 6
    chars = data[offset:offset + charcnt]
    names = {chars[idx:chars.index(b"\0", idx)].decode() for _, _, idx in types}
    offset += charcnt + leapcnt * (tsize + 4) + isstdcnt + isutcnt
    footer = ""
    if version >= b"2":
        footer = data[offset:].strip(b"\n").decode()
        names |= rule_names(footer)
    return sorted(n for n in names if n), footer


def rule_names(rule):
    """The names in a POSIX TZ rule: `<...>` quoted, or runs of letters."""
    return {quoted or plain for quoted, plain in re.findall(r"<([^>]*)>|([A-Za-z]{3,})", rule)}


def zones():
    for path in sorted(ZONEINFO.rglob("*")):
        rel = path.relative_to(ZONEINFO)
        if rel.parts[0] in ("posix", "right") or not path.is_file() or path.name == "localtime":
            continue
        with open(path, "rb") as f:
            if f.read(4) == b"TZif":
                yield str(rel)


def is_zone_file(word):
    path = ZONEINFO / word
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(4) == b"TZif"


def run(argv, tz):
    env = dict(os.environ, TZ=tz, LC_ALL="C", SYSTEMD_COLORS="0")
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    out = [l for l in p.stdout.splitlines() if not FROM_NOW.match(l)]
    return p.returncode, "\n".join(out)


def main():
    sundial = sys.argv[1]
    chosen = sys.argv[2:] or list(zones())
    compared = disagreements = 0
    for zone in chosen:
        path = Path(zone) if zone.startswith("/") else ZONEINFO / zone
        parsed = tzif_abbreviations(path.read_bytes()) if path.is_file() else None
        names = parsed[0] if parsed else []
        if not parsed:
            # A POSIX rule: its own names.
            names = sorted(rule_names(zone))
        for name in names:
            if name.upper() == "UTC":
                continue
            for word in sorted({name, name.lower()}):
                commands = [CALENDAR + [f"*-*-* 12:00 {word}"]]
                if not is_zone_file(word):
                    commands.insert(0, ["timestamp", f"{DATE} {word}"])
                for args in commands:
                    want = run(["systemd-analyze", *args], zone)
                    got = run([sundial, *args], zone)
                    compared += 1
                    if (want[0] == 0) != (got[0] == 0) or (want[0] == 0 and want[1] != got[1]):
                        disagreements += 1
                        print(f"DIFF TZ={zone} {args}: systemd rc={want[0]} sundial rc={got[0]}")
                        if want[0] == 0 or got[0] == 0:
                            print("  systemd: " + want[1].replace("\n", "\n           "))
                            print("  sundial: " + got[1].replace("\n", "\n           "))
                    verdict = "ACCEPT" if want[0] == 0 else "reject"
                    print(f"{verdict} TZ={zone} {args[0]} {word}", file=sys.stderr)
    print(f"zones: {len(chosen)}, inputs compared: {compared}, disagreements: {disagreements}")


if __name__ == "__main__":
    main()
