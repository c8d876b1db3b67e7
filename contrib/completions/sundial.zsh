#compdef sundial

autoload -U is-at-least

_sundial() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_sundial_commands" \
"*::: :->sundial" \
&& ret=0
    case $state in
    (sundial)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:sundial-command-$line[1]:"
        case $line[1] in
            (calendar)
_arguments "${_arguments_options[@]}" : \
'--iterations=[How many elapses to show for each expression]:N:_default' \
'--base-time=[Compute elapses after this timestamp instead of now (\`2024-02-28 23\:59\:59 UTC\`, \`@1700000000\`)]:TIMESTAMP:_default' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per expression instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::exprs -- Calendar events such as `daily`, `Mon *-*-* 09\:00`, `*\:0/15`, `2024-02-29 12\:00 UTC`:_default' \
&& ret=0
;;
(timespan)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per span instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::spans -- Time spans such as `5min`, `1h 30min`, `2.5d`, `infinity`:_default' \
&& ret=0
;;
(timestamp)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per timestamp instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::timestamps -- Timestamps such as `now`, `yesterday`, `+5min`, `2024-02-29 12\:00 UTC`, `@1700000000`:_default' \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Unit files (paths) or unit names to check:_default' \
&& ret=0
;;
(cat)
_arguments "${_arguments_options[@]}" : \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Unit names (a name without suffix means NAME.service) or glob patterns matched against the unit files:_default' \
&& ret=0
;;
(security)
_arguments "${_arguments_options[@]}" : \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Service files (paths) or names; all loaded services when none is given:_default' \
&& ret=0
;;
(simulate)
_arguments "${_arguments_options[@]}" : \
'--from=[Start of the window\: the daemon starts then (default\: now)]:TIMESTAMP:_default' \
'(--for)--until=[End of the window]:TIMESTAMP:_default' \
'--for=[Length of the window (default\: 1d)]:SPAN:_default' \
'--boot-time=[When the machine booted, for OnBootSec= (default\: --from)]:TIMESTAMP:_default' \
'--run-time=[How long each started service runs (default\: 0, finishing at once)]:SPAN:_default' \
'--seed=[Seed of the random delays (RandomizedDelaySec=) and of the simulated boot'\''s ID (which spreads AccuracySec= windows)\: the output is one possible outcome. A timer'\''s delays depend on the seed and the timer alone, whichever other timers are simulated]:SEED:_default' \
'-o+[Output format]:OUTPUT:((table\:"Aligned columns"
json\:"One JSON array"))' \
'--output=[Output format]:OUTPUT:((table\:"Aligned columns"
json\:"One JSON array"))' \
'--svg=[Also draw the schedule as an SVG picture into FILE\: a row per timer, a mark per elapse, the RandomizedDelaySec= window, a bar per expected run (--run-time, else the median of the unit'\''s recorded runs where a daemon or its state database has them), overlaps in red, and the local clock'\''s changes. \`-\` writes it to stdout instead of the list]:FILE:_files' \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Timers to simulate (default\: all loaded timers):_default' \
&& ret=0
;;
(analyze)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_sundial__subcmd__analyze_commands" \
"*::: :->analyze" \
&& ret=0

    case $state in
    (analyze)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:sundial-analyze-command-$line[1]:"
        case $line[1] in
            (blame)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(critical-chain)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- The units whose chains to print (default\: default.target):_default' \
&& ret=0
;;
(plot)
_arguments "${_arguments_options[@]}" : \
'--since=[The window'\''s start\: a timestamp (\`-1d\`, \`2024-06-03\`, \`yesterday\`). Default\: a day before --until]:TIMESTAMP:_default' \
'--until=[The window'\''s end (default\: now)]:TIMESTAMP:_default' \
'--output=[Write the SVG to FILE instead of stdout]:FILE:_files' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(dot)
_arguments "${_arguments_options[@]}" : \
'*--from-pattern=[Only edges from units matching this glob pattern (repeatable)]:PATTERN:_default' \
'*--to-pattern=[Only edges to units matching this glob pattern (repeatable)]:PATTERN:_default' \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--require)--order[Only ordering edges (After=, and Before= turned around)]' \
'--require[Only requirement edges (Requires=, Requisite=, Wants=, Conflicts=)]' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only edges with a unit matching one of these glob patterns at either end:_default' \
&& ret=0
;;
(schedule)
_arguments "${_arguments_options[@]}" : \
'--from=[Start of the window\: the daemon starts then (default\: now)]:TIMESTAMP:_default' \
'(--for)--until=[End of the window]:TIMESTAMP:_default' \
'--for=[Length of the window (default\: 1d)]:SPAN:_default' \
'--boot-time=[When the machine booted, for OnBootSec= (default\: --from)]:TIMESTAMP:_default' \
'--run-time=[How long each started service runs (default\: 0, finishing at once)]:SPAN:_default' \
'--seed=[Seed of the random delays (RandomizedDelaySec=) and of the simulated boot'\''s ID (which spreads AccuracySec= windows)\: the output is one possible outcome. A timer'\''s delays depend on the seed and the timer alone, whichever other timers are simulated]:SEED:_default' \
'-o+[Output format]:OUTPUT:((table\:"Aligned columns"
json\:"One JSON array"))' \
'--output=[Output format]:OUTPUT:((table\:"Aligned columns"
json\:"One JSON array"))' \
'--svg=[Also draw the schedule as an SVG picture into FILE\: a row per timer, a mark per elapse, the RandomizedDelaySec= window, a bar per expected run (--run-time, else the median of the unit'\''s recorded runs where a daemon or its state database has them), overlaps in red, and the local clock'\''s changes. \`-\` writes it to stdout instead of the list]:FILE:_files' \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Timers to simulate (default\: all loaded timers):_default' \
&& ret=0
;;
(calendar)
_arguments "${_arguments_options[@]}" : \
'--iterations=[How many elapses to show for each expression]:N:_default' \
'--base-time=[Compute elapses after this timestamp instead of now (\`2024-02-28 23\:59\:59 UTC\`, \`@1700000000\`)]:TIMESTAMP:_default' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per expression instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::exprs -- Calendar events such as `daily`, `Mon *-*-* 09\:00`, `*\:0/15`, `2024-02-29 12\:00 UTC`:_default' \
&& ret=0
;;
(timespan)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per span instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::spans -- Time spans such as `5min`, `1h 30min`, `2.5d`, `infinity`:_default' \
&& ret=0
;;
(timestamp)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--json[Print one JSON object per timestamp instead of the table]' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::timestamps -- Timestamps such as `now`, `yesterday`, `+5min`, `2024-02-29 12\:00 UTC`, `@1700000000`:_default' \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Unit files (paths) or unit names to check:_default' \
&& ret=0
;;
        esac
    ;;
esac
;;
(crontab)
_arguments "${_arguments_options[@]}" : \
'-t+[Print the units LINE becomes and when it runs next (as \`translate\`)]:LINE:_default' \
'--translate=[Print the units LINE becomes and when it runs next (as \`translate\`)]:LINE:_default' \
'--socket=[The daemon'\''s control socket, to tell it about changes (tests)]:PATH:_files' \
'-l[Print your crontab]' \
'--list[Print your crontab]' \
'-e[Edit your crontab with \$VISUAL or \$EDITOR (default vi)]' \
'--edit[Edit your crontab with \$VISUAL or \$EDITOR (default vi)]' \
'-r[Remove your crontab]' \
'--remove[Remove your crontab]' \
'-i[With -r\: ask first]' \
'(--system)--user[The per-user crontab and daemon (default for non-root)]' \
'--system[The system'\''s crontab and daemon (default for root)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::file -- Install FILE as your crontab (`-`\: read it from standard input):_files' \
":: :_sundial__subcmd__crontab_commands" \
"*::: :->crontab" \
&& ret=0

    case $state in
    (crontab)
        words=($line[2] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:sundial-crontab-command-$line[2]:"
        case $line[2] in
            (import)
_arguments "${_arguments_options[@]}" : \
'--kind=[What FILE is (default\: from its place\: /etc/crontab and /etc/cron.d are system crontabs, a file named anacrontab anacron'\''s, anything else a user crontab)]:KIND:((user\:"A user'\''s crontab\: five time fields and the command"
system\:"/etc/crontab and cron.d\: a user field before the command"
anacron\:"anacrontab\: period, delay, identifier and command"))' \
'--out=[Write the units into DIR (users'\'' units into DIR/users/USER) instead of the unit directories, and tell no daemon]:DIR:_files' \
'--root=[Read the system'\''s crontabs, passwd and tools under DIR (tests, images)]:DIR:_files' \
'--socket=[The daemon'\''s control socket, to tell it about changes (tests)]:PATH:_files' \
'--seconds[Accept six-field lines with seconds first (\`*/10 * * * * * cmd\`), as container crons and \`sundial daemon --crontab\` do; cron does not]' \
'--dry-run[Print what would be written, write nothing]' \
'(--system)--user[The per-user crontab and daemon (default for non-root)]' \
'--system[The system'\''s crontab and daemon (default for root)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::file -- The crontab to import (`-`\: standard input). Default\: what cron runs (--system) or your crontab (--user):_files' \
&& ret=0
;;
(translate)
_arguments "${_arguments_options[@]}" : \
'--kind=[Which crontab the line is from\: a user'\''s (no user field), the system'\''s (a user before the command), or anacron'\''s]:KIND:((user\:"A user crontab'\''s line"
system\:"An /etc/crontab or cron.d line"
anacron\:"An anacrontab line"))' \
'--socket=[The daemon'\''s control socket, to tell it about changes (tests)]:PATH:_files' \
'(--system)--user[The per-user crontab and daemon (default for non-root)]' \
'--system[The system'\''s crontab and daemon (default for root)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':line -- The crontab line (quote it):_default' \
&& ret=0
;;
(mail)
_arguments "${_arguments_options[@]}" : \
'--anacron[Write anacron'\''s mail instead of cron'\''s]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':unit -- The job'\''s service (a bare name means NAME.service):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::command -- The command (`list-timers`, `crontab import`):_default' \
&& ret=0
;;
        esac
    ;;
esac
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
'*--unit-dir=[Read unit files from DIR (repeatable, searched in order). Replaces the default directories; \`SUNDIAL_UNIT_PATH\` (colon-separated, a trailing \`\:\` appends the defaults) is searched after these]:DIR:_files' \
'--state-dir=[Keep the state database (state.db\: timer stamps, run history, logs) in DIR (default\: \$SUNDIAL_STATE_DIR, else the scope'\''s, below)]:DIR:_files' \
'--socket=[Listen for commands on this Unix socket]:PATH:_files' \
'--config=[Read settings from this TOML file (it must exist when given); its keys are under CONFIGURATION in sundial-daemon(1)]:FILE:_files' \
'*--crontab=[Run the jobs of this crontab as they are (repeatable). The file is read again when it changes; a version with errors keeps the jobs of the last good one. Six-field lines (seconds first) are accepted]:FILE:_files' \
'--cgroup=[Make the services'\'' cgroups in this cgroup v2 directory instead of the daemon'\''s own\: a path below the cgroup v2 mount (\`/sundial\` or \`/sys/fs/cgroup/sundial\`). It must exist and be writable, or the daemon does not start; the daemon moves itself into a leaf of its subtree there. Overrides \`cgroup\` in the config file]:PATH:_files' \
'--metrics-listen=[Serve Prometheus metrics at /metrics on ADDR\: HOST\:PORT (\`127.0.0.1\:9558\`) or a Unix socket path. Off by default; overrides \`metrics_listen\` in the config file]:ADDR:_default' \
'--http-listen=[Serve the read-only dashboard on ADDR\: HOST\:PORT, a port alone (on 127.0.0.1) or a Unix socket path. Off by default; overrides \`http_listen\` in the config file]:ADDR:_default' \
'--clock=[Where the daemon reads the time\: \`real\`, or \`manual\` for tests (needs SUNDIAL_ALLOW_MANUAL_CLOCK=1; the clock is then moved through clock.sock beside the control socket)]:CLOCK:(real manual)' \
'--localtime=[Read the default time zone from FILE instead of /etc/localtime, and watch it for changes (tests; ignored while TZ is set, as by the C library)]:FILE:_files' \
'(--system)--user[Use the per-user directories (default for non-root)]' \
'--system[Use the system directories (default for root)]' \
'--log-stdout[Also print every line services write, as \`unit\: line\`, on stdout]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(start)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(restart)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(reload)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(try-restart)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(reload-or-restart)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(isolate)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':unit -- The unit (a name without suffix means NAME.target):_default' \
&& ret=0
;;
(kill)
_arguments "${_arguments_options[@]}" : \
'-s+[The signal\: a name (\`TERM\`, \`SIGHUP\`, \`RTMIN+1\`) or a number]:SIGNAL:_default' \
'--signal=[The signal\: a name (\`TERM\`, \`SIGHUP\`, \`RTMIN+1\`) or a number]:SIGNAL:_default' \
'--kill-whom=[Which processes\: the main process, the control process (ExecStartPre= ...), or all]:WHOM:_default' \
'--kill-who=[Which processes\: the main process, the control process (ExecStartPre= ...), or all]:WHOM:_default' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'-n+[How many log lines to show]:N:_default' \
'--lines=[How many log lines to show]:N:_default' \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service, a pattern the loaded units it matches); none\: every unit that is not inactive:_default' \
&& ret=0
;;
(list-timers)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'-a[List inactive timers too]' \
'--all[List inactive timers too]' \
'--no-legend[Leave out the header and the footer]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only timers whose names match these glob patterns:_default' \
&& ret=0
;;
(list-paths)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-a[List inactive path units too]' \
'--all[List inactive path units too]' \
'--no-legend[Leave out the header and the footer]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only path units whose names match these glob patterns:_default' \
&& ret=0
;;
(list-units)
_arguments "${_arguments_options[@]}" : \
'*-t+[Only units of these types (service, timer, target)]:TYPE:_default' \
'*--type=[Only units of these types (service, timer, target)]:TYPE:_default' \
'*--state=[Only units in these load, active or sub-states (failed, running, inactive, not-found ...)]:STATE:_default' \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-a[List inactive units too]' \
'--all[List inactive units too]' \
'--no-legend[Leave out the header and the legend]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only units whose names match these glob patterns:_default' \
&& ret=0
;;
(list-sockets)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-a[List sockets that are not started too]' \
'--all[List sockets that are not started too]' \
'--show-types[Show the socket type (Stream, Datagram, FIFO, ...) in a column]' \
'--no-legend[Leave out the header and the footer]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only sockets whose names match these glob patterns:_default' \
&& ret=0
;;
(list-unit-files)
_arguments "${_arguments_options[@]}" : \
'*-t+[Only unit files of these types (service, timer, target, ...)]:TYPE:_default' \
'*--type=[Only unit files of these types (service, timer, target, ...)]:TYPE:_default' \
'*--state=[Only unit files in these states (enabled, disabled, static, ...)]:STATE:_default' \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'*--unit-dir=[Read unit files from DIR (repeatable) instead of the default directories of the scope]:DIR:_files' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--no-legend[Leave out the header and the count]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::patterns -- Only unit files whose names match these glob patterns:_default' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'*-p+[Only these properties (repeatable, or a comma-separated list)]:NAME:_default' \
'*--property=[Only these properties (repeatable, or a comma-separated list)]:NAME:_default' \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--value[Print the values only, without \`Name=\`]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(list-dependencies)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--reverse[Show the units that depend on the unit instead]' \
'-a[Expand every unit, not only targets]' \
'--all[Expand every unit, not only targets]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::unit -- The unit (default\: default.target):_default' \
&& ret=0
;;
(enable)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--now[Also start (enable) or stop (disable) the units]' \
'-q[Do not print the symlinks made and removed]' \
'--quiet[Do not print the symlinks made and removed]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(disable)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--now[Also start (enable) or stop (disable) the units]' \
'-q[Do not print the symlinks made and removed]' \
'--quiet[Do not print the symlinks made and removed]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(mask)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-q[Do not print the symlinks made and removed]' \
'--quiet[Do not print the symlinks made and removed]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(unmask)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-q[Do not print the symlinks made and removed]' \
'--quiet[Do not print the symlinks made and removed]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(is-active)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-q[Print nothing; only the exit code answers]' \
'--quiet[Print nothing; only the exit code answers]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(is-enabled)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-q[Print nothing; only the exit code answers]' \
'--quiet[Print nothing; only the exit code answers]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(is-failed)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-q[Print nothing; only the exit code answers]' \
'--quiet[Print nothing; only the exit code answers]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(reset-failed)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- Units (a name without suffix means NAME.service); none\: all:_default' \
&& ret=0
;;
(daemon-reload)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(daemon-reexec)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(edit)
_arguments "${_arguments_options[@]}" : \
'--drop-in=[The drop-in'\''s name (\`.conf\` is added when missing); default override.conf]:NAME:_default' \
'*--unit-dir=[Read unit files from DIR (repeatable, the first is where the edit is saved) instead of the default directories of the scope]:DIR:_files' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--full[Edit a copy of the whole unit file instead of a drop-in]' \
'-f[Create the unit (with --full\: its file; else a drop-in) if it has no file yet]' \
'--force[Create the unit (with --full\: its file; else a drop-in) if it has no file yet]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::units -- The units to edit (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(logs)
_arguments "${_arguments_options[@]}" : \
'*-u+[Only this unit'\''s lines (repeatable; a name without suffix means NAME.service, a pattern such as '\''sync@*'\'' the known units it matches)]:UNIT:_default' \
'*--unit=[Only this unit'\''s lines (repeatable; a name without suffix means NAME.service, a pattern such as '\''sync@*'\'' the known units it matches)]:UNIT:_default' \
'-n+[Only the last N lines (\`-n\` alone\: 10; \`all\`\: every line). Default\: all lines, or 10 with --follow]::N:_default' \
'--lines=[Only the last N lines (\`-n\` alone\: 10; \`all\`\: every line). Default\: all lines, or 10 with --follow]::N:_default' \
'-S+[Only lines written at or after this time]:TIMESTAMP:_default' \
'--since=[Only lines written at or after this time]:TIMESTAMP:_default' \
'-U+[Only lines written at or before this time]:TIMESTAMP:_default' \
'--until=[Only lines written at or before this time]:TIMESTAMP:_default' \
'--invocation=[Only lines of this run (its invocation id, as \`sundial history\` shows)]:ID:_default' \
'-b+[Only lines of this boot (\`-b\`, \`-b 0\`, or this boot'\''s ID)\: written since the machine started]::ID:_default' \
'--boot=[Only lines of this boot (\`-b\`, \`-b 0\`, or this boot'\''s ID)\: written since the machine started]::ID:_default' \
'-p+[Only lines of this priority or a more important one (\`err\`), or of a range (\`err..warning\`)\: emerg, alert, crit, err, warning, notice, info, debug, or 0 to 7. Output lines are info unless they start with \`<N>\` (SyslogLevelPrefix=); sundial'\''s own lines carry systemd'\''s priorities]:PRIORITY:_default' \
'--priority=[Only lines of this priority or a more important one (\`err\`), or of a range (\`err..warning\`)\: emerg, alert, crit, err, warning, notice, info, debug, or 0 to 7. Output lines are info unless they start with \`<N>\` (SyslogLevelPrefix=); sundial'\''s own lines carry systemd'\''s priorities]:PRIORITY:_default' \
'-o+[Output format\: short (journalctl'\''s default), cat (the text only), json (one object per line, journalctl'\''s field names), json-pretty]:OUTPUT:((short\:"\`Feb 29 03\:00\:01 host unit\: text\`"
cat\:"The text only"
json\:"One JSON object per line"
json-pretty\:"One indented JSON object per line"))' \
'--output=[Output format\: short (journalctl'\''s default), cat (the text only), json (one object per line, journalctl'\''s field names), json-pretty]:OUTPUT:((short\:"\`Feb 29 03\:00\:01 host unit\: text\`"
cat\:"The text only"
json\:"One JSON object per line"
json-pretty\:"One indented JSON object per line"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'-f[Keep printing new lines as they are written]' \
'--follow[Keep printing new lines as they are written]' \
'-e[Start at the end in the pager (implies \`-n 1000\` unless -n is given)]' \
'--pager-end[Start at the end in the pager (implies \`-n 1000\` unless -n is given)]' \
'-x[Explain sundial'\''s own lines about units, as journalctl'\''s message catalog does]' \
'--catalog[Explain sundial'\''s own lines about units, as journalctl'\''s message catalog does]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(history)
_arguments "${_arguments_options[@]}" : \
'-n+[Only the last N runs]:N:_default' \
'--lines=[Only the last N runs]:N:_default' \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'--state-dir=[When no daemon answers, read the state database (state.db) in DIR (the daemon'\''s --state-dir). Default\: \$SUNDIAL_STATE_DIR, else the directory of the socket --socket or \$SUNDIAL_SOCKET names, else the scope'\''s (see sundial-daemon(1))]:DIR:_files' \
'--cluster[The runs of the cluster'\''s shared table (cluster timers and singletons on every node, with the node of each run and its attempt) instead of this daemon'\''s own history]' \
'--no-legend[Leave out the header and the footer]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::unit -- Only this unit'\''s runs (a name without suffix means NAME.service):_default' \
&& ret=0
;;
(cluster)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_sundial__subcmd__cluster_commands" \
"*::: :->cluster" \
&& ret=0

    case $state in
    (cluster)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:sundial-cluster-command-$line[1]:"
        case $line[1] in
            (status)
_arguments "${_arguments_options[@]}" : \
'-o+[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'--output=[Output format]:OUTPUT:((short\:"The human-readable table or text"
json\:"One line of JSON"
json-pretty\:"Indented JSON"))' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
        esac
    ;;
esac
;;
(run)
_arguments "${_arguments_options[@]}" : \
'-u+[Name the units NAME.service (and NAME.timer) instead of run-rHEX (random)]:NAME:_default' \
'--unit=[Name the units NAME.service (and NAME.timer) instead of run-rHEX (random)]:NAME:_default' \
'*-p+[A setting of the service (its Unit or Service section), as a unit file line (repeatable)\: -p Nice=5, -p Environment=A=b, -p User=backup]:KEY=VALUE:_default' \
'*--property=[A setting of the service (its Unit or Service section), as a unit file line (repeatable)\: -p Nice=5, -p Environment=A=b, -p User=backup]:KEY=VALUE:_default' \
'--description=[Description= of the units (default\: the command line)]:TEXT:_default' \
'*-E+[Set an environment variable of the command (repeatable); NAME alone passes this shell'\''s value]:NAME[=VALUE]:_default' \
'*--setenv=[Set an environment variable of the command (repeatable); NAME alone passes this shell'\''s value]:NAME[=VALUE]:_default' \
'--working-directory=[The command'\''s working directory (WorkingDirectory=); a relative path is taken from here]:DIR:_files' \
'--service-type=[Type= of the service (simple, exec, oneshot, forking, notify, ...)]:TYPE:_default' \
'--uid=[Run as this user (User=)]:USER:_default' \
'--gid=[Run with this group (Group=)]:GROUP:_default' \
'--nice=[Nice= level of the command]:N:_default' \
'--expand-environment=[Expand \$VAR and \${VAR} in the command when it starts, as in ExecStart= (\$\$ is a literal \$); no\: pass them as written]:BOOL:_default' \
'*--on-active=[Elapse this long after the timer was made (OnActiveSec=)]:SPAN:_default' \
'*--on-boot=[Elapse this long after boot (OnBootSec=)]:SPAN:_default' \
'*--on-startup=[Elapse this long after the daemon started (OnStartupSec=)]:SPAN:_default' \
'*--on-unit-active=[Elapse this long after the service last started (OnUnitActiveSec=)]:SPAN:_default' \
'*--on-unit-inactive=[Elapse this long after the service last stopped (OnUnitInactiveSec=)]:SPAN:_default' \
'*--on-calendar=[Elapse on this calendar event (OnCalendar=); repeatable]:SPEC:_default' \
'*--timer-property=[A setting of the timer (its Unit or Timer section), as a unit file line (repeatable)\: --timer-property=AccuracySec=1s. Any makes a timer]:KEY=VALUE:_default' \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'-G[Remove the units once done even if the service failed (CollectMode=inactive-or-failed); otherwise a failed service stays until reset-failed]' \
'--collect[Remove the units once done even if the service failed (CollectMode=inactive-or-failed); otherwise a failed service stays until reset-failed]' \
'(--no-block)--wait[Wait until the service has finished, print how it ended, and exit with its exit status (1 for other failures). Not with timer options]' \
'--no-block[Return once the service is queued, without waiting for it to start]' \
'-q[Print only errors]' \
'--quiet[Print only errors]' \
'(--working-directory)-d[Run the command in this directory (--working-directory=\$PWD)]' \
'(--working-directory)--same-dir[Run the command in this directory (--working-directory=\$PWD)]' \
'-r[Keep the service active after its command exited (RemainAfterExit=yes), until it is stopped]' \
'--remain-after-exit[Keep the service active after its command exited (RemainAfterExit=yes), until it is stopped]' \
'--on-clock-change[Elapse when the wall clock is set (OnClockChange=yes)]' \
'--on-timezone-change[Elapse when the local time zone changes (OnTimezoneChange=yes)]' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::command -- The command and its arguments (options after it belong to it; `--` before it is allowed):_default' \
&& ret=0
;;
(show-environment)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(set-environment)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::assignments -- Assignments:_default' \
&& ret=0
;;
(unset-environment)
_arguments "${_arguments_options[@]}" : \
'--socket=[The daemon'\''s control socket; overrides --user, --system and \$SUNDIAL_SOCKET]:PATH:_files' \
'(--system)--user[Talk to the per-user daemon (default for non-root)]' \
'--system[Talk to the system daemon (default for root)]' \
'--no-pager[Do not pipe long output into a pager (\$SYSTEMD_PAGER, \$PAGER, less), which is used only when stdout is a terminal]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::names -- Variables:_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':shell -- The shell to complete for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--dir=[Write sundial.1 and one page per command into DIR (created if missing) instead of showing a page]:DIR:_files' \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::command -- The command whose page to show (`list-timers`, `crontab import`); none\: sundial(1):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
'--socket=[Accepted for systemctl habits; no daemon is asked]:PATH:_files' \
'--user[Accepted for systemctl habits; no unit is read]' \
'--system[Accepted for systemctl habits; no unit is read]' \
'--no-pager[Accepted for systemctl habits (\`cat\` pages without it)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::command -- The command (`list-timers`, `crontab import`):_default' \
&& ret=0
;;
        esac
    ;;
esac
}

(( $+functions[_sundial_commands] )) ||
_sundial_commands() {
    local commands; commands=(
'calendar:Normalize calendar events and show when they elapse, as systemd-analyze calendar does' \
'timespan:Parse time spans and print them normalized, as systemd-analyze timespan does' \
'timestamp:Parse timestamps and print them normalized, as systemd-analyze timestamp does' \
'verify:Check unit files and report every problem (like systemd-analyze verify)' \
'cat:Print unit files and their drop-ins (like systemctl cat)' \
'security:Rate how exposed services are, setting by setting (like systemd-analyze security)' \
'simulate:Show every start the timers would cause in a window of time, running nothing' \
'analyze:Analyze units and runs as systemd-analyze does\: blame, plot, dot, calendar, verify' \
'crontab:Keep your crontab, or import crontabs into units' \
'daemon:Run the daemon\: fire timers, supervise services, answer commands' \
'start:Start units' \
'stop:Stop units' \
'restart:Stop and then start units (start them if they are not running)' \
'reload:Ask running units to reload their configuration (ExecReload=)' \
'try-restart:Restart units that are running; leave the others alone' \
'reload-or-restart:Reload units that support it, restart the others (start them if they are not running)' \
'isolate:Start a unit and its dependencies and stop all other units' \
'kill:Send a signal to the processes of units' \
'status:Show the state of units, with their last log lines' \
'list-timers:List timers\: when they elapse next, when they last did, and how that run ended' \
'list-paths:List path units\: what they watch and what they start' \
'list-units:List loaded units and their states' \
'list-sockets:List socket units\: what they listen on and what they activate' \
'list-unit-files:List unit files and whether they are enabled' \
'show:Show properties of units or of the daemon' \
'list-dependencies:Show the dependency tree of a unit' \
'enable:Enable units\: create the symlinks their Install section asks for' \
'disable:Disable units\: remove the symlinks that enable made' \
'mask:Mask units\: link them to /dev/null so that nothing can start them' \
'unmask:Unmask units' \
'is-active:Print whether units are active; exit 0 if one is, else 3, or 4 if none exists' \
'is-enabled:Print whether units are enabled; exit 0 if one is, else 1, or 4 if none exists' \
'is-failed:Print whether units have failed; exit 0 if one has, else 1, or 4 if none exists' \
'reset-failed:Reset the failed state of units' \
'daemon-reload:Reload unit files' \
'daemon-reexec:Re-execute the daemon, keeping its services running' \
'edit:Edit a unit'\''s drop-in or whole file, checked before it is saved' \
'logs:Show the output services printed, as journalctl does' \
'history:List the recorded runs of services\: start, duration, trigger, result, exit status' \
'cluster:Show the cluster\: its nodes, their heartbeats and what each runs' \
'run:Run a command as a transient service, now or on a timer (like systemd-run)' \
'show-environment:Print the environment every service starts from' \
'set-environment:Set variables of the environment every service starts from' \
'unset-environment:Remove variables from the environment every service starts from' \
'completions:Print a shell completion script' \
'man:Show the manual pages, or write them for installation' \
'help:Show the manual page of a command, or the commands' \
    )
    _describe -t commands 'sundial commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze_commands] )) ||
_sundial__subcmd__analyze_commands() {
    local commands; commands=(
'blame:Units by how long their last run took, longest first' \
'critical-chain:The chain of After= dependencies that held units back' \
'plot:An SVG of the recorded runs in a window of time, coloured by result' \
'dot:The dependency graph of the unit files, for Graphviz'\'' dot' \
'schedule:The schedule as an SVG picture on stdout (\`sundial simulate --svg -\`; --svg FILE writes it to FILE and lists the starts)' \
'calendar:Normalize calendar events and show when they elapse, as systemd-analyze calendar does' \
'timespan:Parse time spans and print them normalized, as systemd-analyze timespan does' \
'timestamp:Parse timestamps and print them normalized, as systemd-analyze timestamp does' \
'verify:Check unit files and report every problem (\`sundial verify\`)' \
    )
    _describe -t commands 'sundial analyze commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__blame_commands] )) ||
_sundial__subcmd__analyze__subcmd__blame_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze blame commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__calendar_commands] )) ||
_sundial__subcmd__analyze__subcmd__calendar_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze calendar commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__critical-chain_commands] )) ||
_sundial__subcmd__analyze__subcmd__critical-chain_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze critical-chain commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__dot_commands] )) ||
_sundial__subcmd__analyze__subcmd__dot_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze dot commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__plot_commands] )) ||
_sundial__subcmd__analyze__subcmd__plot_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze plot commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__schedule_commands] )) ||
_sundial__subcmd__analyze__subcmd__schedule_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze schedule commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__timespan_commands] )) ||
_sundial__subcmd__analyze__subcmd__timespan_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze timespan commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__timestamp_commands] )) ||
_sundial__subcmd__analyze__subcmd__timestamp_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze timestamp commands' commands "$@"
}
(( $+functions[_sundial__subcmd__analyze__subcmd__verify_commands] )) ||
_sundial__subcmd__analyze__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'sundial analyze verify commands' commands "$@"
}
(( $+functions[_sundial__subcmd__calendar_commands] )) ||
_sundial__subcmd__calendar_commands() {
    local commands; commands=()
    _describe -t commands 'sundial calendar commands' commands "$@"
}
(( $+functions[_sundial__subcmd__cat_commands] )) ||
_sundial__subcmd__cat_commands() {
    local commands; commands=()
    _describe -t commands 'sundial cat commands' commands "$@"
}
(( $+functions[_sundial__subcmd__cluster_commands] )) ||
_sundial__subcmd__cluster_commands() {
    local commands; commands=(
'status:The nodes, their heartbeats and what each runs' \
    )
    _describe -t commands 'sundial cluster commands' commands "$@"
}
(( $+functions[_sundial__subcmd__cluster__subcmd__status_commands] )) ||
_sundial__subcmd__cluster__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'sundial cluster status commands' commands "$@"
}
(( $+functions[_sundial__subcmd__completions_commands] )) ||
_sundial__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'sundial completions commands' commands "$@"
}
(( $+functions[_sundial__subcmd__crontab_commands] )) ||
_sundial__subcmd__crontab_commands() {
    local commands; commands=(
'import:Turn crontabs into timer and service units' \
'translate:Show the units one crontab line becomes, and when it runs next' \
'mail:Mail a job'\''s output as cron does (run by the generated mail units)' \
'help:Show the manual page of a command, or the commands' \
    )
    _describe -t commands 'sundial crontab commands' commands "$@"
}
(( $+functions[_sundial__subcmd__crontab__subcmd__help_commands] )) ||
_sundial__subcmd__crontab__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'sundial crontab help commands' commands "$@"
}
(( $+functions[_sundial__subcmd__crontab__subcmd__import_commands] )) ||
_sundial__subcmd__crontab__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'sundial crontab import commands' commands "$@"
}
(( $+functions[_sundial__subcmd__crontab__subcmd__mail_commands] )) ||
_sundial__subcmd__crontab__subcmd__mail_commands() {
    local commands; commands=()
    _describe -t commands 'sundial crontab mail commands' commands "$@"
}
(( $+functions[_sundial__subcmd__crontab__subcmd__translate_commands] )) ||
_sundial__subcmd__crontab__subcmd__translate_commands() {
    local commands; commands=()
    _describe -t commands 'sundial crontab translate commands' commands "$@"
}
(( $+functions[_sundial__subcmd__daemon_commands] )) ||
_sundial__subcmd__daemon_commands() {
    local commands; commands=()
    _describe -t commands 'sundial daemon commands' commands "$@"
}
(( $+functions[_sundial__subcmd__daemon-reexec_commands] )) ||
_sundial__subcmd__daemon-reexec_commands() {
    local commands; commands=()
    _describe -t commands 'sundial daemon-reexec commands' commands "$@"
}
(( $+functions[_sundial__subcmd__daemon-reload_commands] )) ||
_sundial__subcmd__daemon-reload_commands() {
    local commands; commands=()
    _describe -t commands 'sundial daemon-reload commands' commands "$@"
}
(( $+functions[_sundial__subcmd__disable_commands] )) ||
_sundial__subcmd__disable_commands() {
    local commands; commands=()
    _describe -t commands 'sundial disable commands' commands "$@"
}
(( $+functions[_sundial__subcmd__edit_commands] )) ||
_sundial__subcmd__edit_commands() {
    local commands; commands=()
    _describe -t commands 'sundial edit commands' commands "$@"
}
(( $+functions[_sundial__subcmd__enable_commands] )) ||
_sundial__subcmd__enable_commands() {
    local commands; commands=()
    _describe -t commands 'sundial enable commands' commands "$@"
}
(( $+functions[_sundial__subcmd__help_commands] )) ||
_sundial__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'sundial help commands' commands "$@"
}
(( $+functions[_sundial__subcmd__history_commands] )) ||
_sundial__subcmd__history_commands() {
    local commands; commands=()
    _describe -t commands 'sundial history commands' commands "$@"
}
(( $+functions[_sundial__subcmd__is-active_commands] )) ||
_sundial__subcmd__is-active_commands() {
    local commands; commands=()
    _describe -t commands 'sundial is-active commands' commands "$@"
}
(( $+functions[_sundial__subcmd__is-enabled_commands] )) ||
_sundial__subcmd__is-enabled_commands() {
    local commands; commands=()
    _describe -t commands 'sundial is-enabled commands' commands "$@"
}
(( $+functions[_sundial__subcmd__is-failed_commands] )) ||
_sundial__subcmd__is-failed_commands() {
    local commands; commands=()
    _describe -t commands 'sundial is-failed commands' commands "$@"
}
(( $+functions[_sundial__subcmd__isolate_commands] )) ||
_sundial__subcmd__isolate_commands() {
    local commands; commands=()
    _describe -t commands 'sundial isolate commands' commands "$@"
}
(( $+functions[_sundial__subcmd__kill_commands] )) ||
_sundial__subcmd__kill_commands() {
    local commands; commands=()
    _describe -t commands 'sundial kill commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-dependencies_commands] )) ||
_sundial__subcmd__list-dependencies_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-dependencies commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-paths_commands] )) ||
_sundial__subcmd__list-paths_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-paths commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-sockets_commands] )) ||
_sundial__subcmd__list-sockets_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-sockets commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-timers_commands] )) ||
_sundial__subcmd__list-timers_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-timers commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-unit-files_commands] )) ||
_sundial__subcmd__list-unit-files_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-unit-files commands' commands "$@"
}
(( $+functions[_sundial__subcmd__list-units_commands] )) ||
_sundial__subcmd__list-units_commands() {
    local commands; commands=()
    _describe -t commands 'sundial list-units commands' commands "$@"
}
(( $+functions[_sundial__subcmd__logs_commands] )) ||
_sundial__subcmd__logs_commands() {
    local commands; commands=()
    _describe -t commands 'sundial logs commands' commands "$@"
}
(( $+functions[_sundial__subcmd__man_commands] )) ||
_sundial__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'sundial man commands' commands "$@"
}
(( $+functions[_sundial__subcmd__mask_commands] )) ||
_sundial__subcmd__mask_commands() {
    local commands; commands=()
    _describe -t commands 'sundial mask commands' commands "$@"
}
(( $+functions[_sundial__subcmd__reload_commands] )) ||
_sundial__subcmd__reload_commands() {
    local commands; commands=()
    _describe -t commands 'sundial reload commands' commands "$@"
}
(( $+functions[_sundial__subcmd__reload-or-restart_commands] )) ||
_sundial__subcmd__reload-or-restart_commands() {
    local commands; commands=()
    _describe -t commands 'sundial reload-or-restart commands' commands "$@"
}
(( $+functions[_sundial__subcmd__reset-failed_commands] )) ||
_sundial__subcmd__reset-failed_commands() {
    local commands; commands=()
    _describe -t commands 'sundial reset-failed commands' commands "$@"
}
(( $+functions[_sundial__subcmd__restart_commands] )) ||
_sundial__subcmd__restart_commands() {
    local commands; commands=()
    _describe -t commands 'sundial restart commands' commands "$@"
}
(( $+functions[_sundial__subcmd__run_commands] )) ||
_sundial__subcmd__run_commands() {
    local commands; commands=()
    _describe -t commands 'sundial run commands' commands "$@"
}
(( $+functions[_sundial__subcmd__security_commands] )) ||
_sundial__subcmd__security_commands() {
    local commands; commands=()
    _describe -t commands 'sundial security commands' commands "$@"
}
(( $+functions[_sundial__subcmd__set-environment_commands] )) ||
_sundial__subcmd__set-environment_commands() {
    local commands; commands=()
    _describe -t commands 'sundial set-environment commands' commands "$@"
}
(( $+functions[_sundial__subcmd__show_commands] )) ||
_sundial__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'sundial show commands' commands "$@"
}
(( $+functions[_sundial__subcmd__show-environment_commands] )) ||
_sundial__subcmd__show-environment_commands() {
    local commands; commands=()
    _describe -t commands 'sundial show-environment commands' commands "$@"
}
(( $+functions[_sundial__subcmd__simulate_commands] )) ||
_sundial__subcmd__simulate_commands() {
    local commands; commands=()
    _describe -t commands 'sundial simulate commands' commands "$@"
}
(( $+functions[_sundial__subcmd__start_commands] )) ||
_sundial__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'sundial start commands' commands "$@"
}
(( $+functions[_sundial__subcmd__status_commands] )) ||
_sundial__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'sundial status commands' commands "$@"
}
(( $+functions[_sundial__subcmd__stop_commands] )) ||
_sundial__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'sundial stop commands' commands "$@"
}
(( $+functions[_sundial__subcmd__timespan_commands] )) ||
_sundial__subcmd__timespan_commands() {
    local commands; commands=()
    _describe -t commands 'sundial timespan commands' commands "$@"
}
(( $+functions[_sundial__subcmd__timestamp_commands] )) ||
_sundial__subcmd__timestamp_commands() {
    local commands; commands=()
    _describe -t commands 'sundial timestamp commands' commands "$@"
}
(( $+functions[_sundial__subcmd__try-restart_commands] )) ||
_sundial__subcmd__try-restart_commands() {
    local commands; commands=()
    _describe -t commands 'sundial try-restart commands' commands "$@"
}
(( $+functions[_sundial__subcmd__unmask_commands] )) ||
_sundial__subcmd__unmask_commands() {
    local commands; commands=()
    _describe -t commands 'sundial unmask commands' commands "$@"
}
(( $+functions[_sundial__subcmd__unset-environment_commands] )) ||
_sundial__subcmd__unset-environment_commands() {
    local commands; commands=()
    _describe -t commands 'sundial unset-environment commands' commands "$@"
}
(( $+functions[_sundial__subcmd__verify_commands] )) ||
_sundial__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'sundial verify commands' commands "$@"
}

if [ "$funcstack[1]" = "_sundial" ]; then
    _sundial "$@"
else
    compdef _sundial sundial
fi
