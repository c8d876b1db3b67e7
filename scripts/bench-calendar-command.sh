#!/usr/bin/env bash
# `sundial calendar --iterations=N` against `systemd-analyze calendar` as whole
# processes: one `perf stat -r REPEAT` per program, spec, zone and output
# (/dev/null, or a pipe into `cat`), printed as a Markdown table of mean
# elapsed seconds and the ratio sundial / systemd-analyze. With a second
# sundial binary (BEFORE, e.g. a build of an older commit) both are measured
# back to back in the same sitting.
#
# systemd-analyze 252 forks a child for every elapse of a spec that names a
# zone (to evaluate it under that TZ), about 1.7 ms each: such specs run
# ZONE_ITERATIONS elapses instead.
#
#   scripts/bench-calendar-command.sh [SUNDIAL] [BEFORE] [ITERATIONS] [REPEAT] [ZONE_ITERATIONS]
set -euo pipefail
sundial=${1:-target/release/sundial}
before=${2:-}
iterations=${3:-100000}
repeat=${4:-10}
zone_iterations=${5:-2000}
specs=(
    'daily'
    'minutely'
    '*:0/15'
    '*-*-* *:*:*'
    'Mon..Fri *-*-* 08..18/2:30:00'
    'Mon..Fri *-*-* 08..18/2:30:00 Europe/Berlin'
)
# Mean elapsed seconds of `perf stat -r` over a shell command.
mean() {
    perf stat -r "$repeat" -- sh -c "$1" 2>&1 >/dev/null |
        awk '/seconds time elapsed/ { print $1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if [ -n "$before" ]; then
    echo "| TZ | spec | iterations | output | systemd-analyze s | before s | after s | before ratio | after ratio |"
    echo "|---|---|---:|---|---:|---:|---:|---:|---:|"
else
    echo "| TZ | spec | iterations | output | systemd-analyze s | sundial s | ratio |"
    echo "|---|---|---:|---|---:|---:|---:|"
fi
for tz in UTC Europe/Berlin; do
    for spec in "${specs[@]}"; do
        for output in /dev/null pipe; do
            case $output in
                /dev/null) redirect='> /dev/null' ;;
                pipe) redirect='| cat > /dev/null' ;;
            esac
            n=$iterations
            case $spec in
                *' Europe/'*) n=$zone_iterations ;;
            esac
            args="calendar --iterations=$n '$spec'"
            s=$(mean "TZ=$tz systemd-analyze $args $redirect")
            if [ -n "$before" ]; then
                b=$(mean "TZ=$tz $before $args $redirect")
            fi
            a=$(mean "TZ=$tz $sundial $args $redirect")
            if [ -n "$before" ]; then
                echo "| $tz | \`$spec\` | $n | $output | $s | $b | $a | $(ratio "$b" "$s") | $(ratio "$a" "$s") |"
            else
                echo "| $tz | \`$spec\` | $n | $output | $s | $a | $(ratio "$a" "$s") |"
            fi
        done
    done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
