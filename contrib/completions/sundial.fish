# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sundial_global_optspecs
    string join \n user system socket= no-pager h/help V/version
end

function __fish_sundial_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sundial_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sundial_using_subcommand
    set -l cmd (__fish_sundial_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sundial -n "__fish_sundial_needs_command" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_needs_command" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_needs_command" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_needs_command" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_needs_command" -s h -l help -d 'Print help'
complete -c sundial -n "__fish_sundial_needs_command" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "calendar" -d 'Normalize calendar events and show when they elapse, as systemd-analyze calendar does'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "timespan" -d 'Parse time spans and print them normalized, as systemd-analyze timespan does'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "timestamp" -d 'Parse timestamps and print them normalized, as systemd-analyze timestamp does'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "verify" -d 'Check unit files and report every problem (like systemd-analyze verify)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "cat" -d 'Print unit files and their drop-ins (like systemctl cat)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "security" -d 'Rate how exposed services are, setting by setting (like systemd-analyze security)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "simulate" -d 'Show every start the timers would cause in a window of time, running nothing'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "analyze" -d 'Analyze units and runs as systemd-analyze does: blame, plot, dot, calendar, verify'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "crontab" -d 'Keep your crontab, or import crontabs into units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "daemon" -d 'Run the daemon: fire timers, supervise services, answer commands'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "start" -d 'Start units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "stop" -d 'Stop units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "restart" -d 'Stop and then start units (start them if they are not running)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "reload" -d 'Ask running units to reload their configuration (ExecReload=)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "try-restart" -d 'Restart units that are running; leave the others alone'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "reload-or-restart" -d 'Reload units that support it, restart the others (start them if they are not running)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "isolate" -d 'Start a unit and its dependencies and stop all other units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "kill" -d 'Send a signal to the processes of units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "status" -d 'Show the state of units, with their last log lines'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-timers" -d 'List timers: when they elapse next, when they last did, and how that run ended'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-paths" -d 'List path units: what they watch and what they start'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-units" -d 'List loaded units and their states'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-sockets" -d 'List socket units: what they listen on and what they activate'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-unit-files" -d 'List unit files and whether they are enabled'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "show" -d 'Show properties of units or of the daemon'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "list-dependencies" -d 'Show the dependency tree of a unit'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "enable" -d 'Enable units: create the symlinks their Install section asks for'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "disable" -d 'Disable units: remove the symlinks that enable made'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "mask" -d 'Mask units: link them to /dev/null so that nothing can start them'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "unmask" -d 'Unmask units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "is-active" -d 'Print whether units are active; exit 0 if one is, else 3, or 4 if none exists'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "is-enabled" -d 'Print whether units are enabled; exit 0 if one is, else 1, or 4 if none exists'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "is-failed" -d 'Print whether units have failed; exit 0 if one has, else 1, or 4 if none exists'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "reset-failed" -d 'Reset the failed state of units'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "daemon-reload" -d 'Reload unit files'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "daemon-reexec" -d 'Re-execute the daemon, keeping its services running'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "edit" -d 'Edit a unit\'s drop-in or whole file, checked before it is saved'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "logs" -d 'Show the output services printed, as journalctl does'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "history" -d 'List the recorded runs of services: start, duration, trigger, result, exit status'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "cluster" -d 'Show the cluster: its nodes, their heartbeats and what each runs'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "run" -d 'Run a command as a transient service, now or on a timer (like systemd-run)'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "show-environment" -d 'Print the environment every service starts from'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "set-environment" -d 'Set variables of the environment every service starts from'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "unset-environment" -d 'Remove variables from the environment every service starts from'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "man" -d 'Show the manual pages, or write them for installation'
complete -c sundial -n "__fish_sundial_needs_command" -f -a "help" -d 'Show the manual page of a command, or the commands'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l iterations -d 'How many elapses to show for each expression' -r
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l base-time -d 'Compute elapses after this timestamp instead of now (`2024-02-28 23:59:59 UTC`, `@1700000000`)' -r
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l json -d 'Print one JSON object per expression instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand calendar" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -l json -d 'Print one JSON object per span instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand timespan" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -l json -d 'Print one JSON object per timestamp instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand timestamp" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand verify" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand verify" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand verify" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand verify" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand verify" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand verify" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand cat" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand cat" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand cat" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand cat" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand cat" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand cat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand cat" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand security" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand security" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand security" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand security" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand security" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand security" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand security" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l from -d 'Start of the window: the daemon starts then (default: now)' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l until -d 'End of the window' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l for -d 'Length of the window (default: 1d)' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l boot-time -d 'When the machine booted, for OnBootSec= (default: --from)' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l run-time -d 'How long each started service runs (default: 0, finishing at once)' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l seed -d 'Seed of the random delays (RandomizedDelaySec=) and of the simulated boot\'s ID (which spreads AccuracySec= windows): the output is one possible outcome. A timer\'s delays depend on the seed and the timer alone, whichever other timers are simulated' -r
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned columns'
json\t'One JSON array'"
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l svg -d 'Also draw the schedule as an SVG picture into FILE: a row per timer, a mark per elapse, the RandomizedDelaySec= window, a bar per expected run (--run-time, else the median of the unit\'s recorded runs where a daemon or its state database has them), overlaps in red, and the local clock\'s changes. `-` writes it to stdout instead of the list' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand simulate" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "blame" -d 'Units by how long their last run took, longest first'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "critical-chain" -d 'The chain of After= dependencies that held units back'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "plot" -d 'An SVG of the recorded runs in a window of time, coloured by result'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "dot" -d 'The dependency graph of the unit files, for Graphviz\' dot'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "schedule" -d 'The schedule as an SVG picture on stdout (`sundial simulate --svg -`; --svg FILE writes it to FILE and lists the starts)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "calendar" -d 'Normalize calendar events and show when they elapse, as systemd-analyze calendar does'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "timespan" -d 'Parse time spans and print them normalized, as systemd-analyze timespan does'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "timestamp" -d 'Parse timestamps and print them normalized, as systemd-analyze timestamp does'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and not __fish_seen_subcommand_from blame critical-chain plot dot schedule calendar timespan timestamp verify" -f -a "verify" -d 'Check unit files and report every problem (`sundial verify`)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from blame" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from critical-chain" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l since -d 'The window\'s start: a timestamp (`-1d`, `2024-06-03`, `yesterday`). Default: a day before --until' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l until -d 'The window\'s end (default: now)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l output -d 'Write the SVG to FILE instead of stdout' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from plot" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l from-pattern -d 'Only edges from units matching this glob pattern (repeatable)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l to-pattern -d 'Only edges to units matching this glob pattern (repeatable)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l order -d 'Only ordering edges (After=, and Before= turned around)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l require -d 'Only requirement edges (Requires=, Requisite=, Wants=, Conflicts=)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from dot" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l from -d 'Start of the window: the daemon starts then (default: now)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l until -d 'End of the window' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l for -d 'Length of the window (default: 1d)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l boot-time -d 'When the machine booted, for OnBootSec= (default: --from)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l run-time -d 'How long each started service runs (default: 0, finishing at once)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l seed -d 'Seed of the random delays (RandomizedDelaySec=) and of the simulated boot\'s ID (which spreads AccuracySec= windows): the output is one possible outcome. A timer\'s delays depend on the seed and the timer alone, whichever other timers are simulated' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -s o -l output -d 'Output format' -r -f -a "table\t'Aligned columns'
json\t'One JSON array'"
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l svg -d 'Also draw the schedule as an SVG picture into FILE: a row per timer, a mark per elapse, the RandomizedDelaySec= window, a bar per expected run (--run-time, else the median of the unit\'s recorded runs where a daemon or its state database has them), overlaps in red, and the local clock\'s changes. `-` writes it to stdout instead of the list' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from schedule" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l iterations -d 'How many elapses to show for each expression' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l base-time -d 'Compute elapses after this timestamp instead of now (`2024-02-28 23:59:59 UTC`, `@1700000000`)' -r
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l json -d 'Print one JSON object per expression instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from calendar" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -l json -d 'Print one JSON object per span instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timespan" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -l json -d 'Print one JSON object per timestamp instead of the table'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from timestamp" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand analyze; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s t -l translate -d 'Print the units LINE becomes and when it runs next (as `translate`)' -r
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -l socket -d 'The daemon\'s control socket, to tell it about changes (tests)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s l -l list -d 'Print your crontab'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s e -l edit -d 'Edit your crontab with $VISUAL or $EDITOR (default vi)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s r -l remove -d 'Remove your crontab'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s i -d 'With -r: ask first'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -l user -d 'The per-user crontab and daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -l system -d 'The system\'s crontab and daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -a "import" -d 'Turn crontabs into timer and service units'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -a "translate" -d 'Show the units one crontab line becomes, and when it runs next'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -a "mail" -d 'Mail a job\'s output as cron does (run by the generated mail units)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and not __fish_seen_subcommand_from import translate mail help" -a "help" -d 'Show the manual page of a command, or the commands'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l kind -d 'What FILE is (default: from its place: /etc/crontab and /etc/cron.d are system crontabs, a file named anacrontab anacron\'s, anything else a user crontab)' -r -f -a "user\t'A user\'s crontab: five time fields and the command'
system\t'/etc/crontab and cron.d: a user field before the command'
anacron\t'anacrontab: period, delay, identifier and command'"
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l out -d 'Write the units into DIR (users\' units into DIR/users/USER) instead of the unit directories, and tell no daemon' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l root -d 'Read the system\'s crontabs, passwd and tools under DIR (tests, images)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l socket -d 'The daemon\'s control socket, to tell it about changes (tests)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l seconds -d 'Accept six-field lines with seconds first (`*/10 * * * * * cmd`), as container crons and `sundial daemon --crontab` do; cron does not'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l dry-run -d 'Print what would be written, write nothing'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l user -d 'The per-user crontab and daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -l system -d 'The system\'s crontab and daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -l kind -d 'Which crontab the line is from: a user\'s (no user field), the system\'s (a user before the command), or anacron\'s' -r -f -a "user\t'A user crontab\'s line'
system\t'An /etc/crontab or cron.d line'
anacron\t'An anacrontab line'"
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -l socket -d 'The daemon\'s control socket, to tell it about changes (tests)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -l user -d 'The per-user crontab and daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -l system -d 'The system\'s crontab and daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from translate" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from mail" -l anacron -d 'Write anacron\'s mail instead of cron\'s'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from mail" -s h -l help -d 'Print help'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from mail" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand crontab; and __fish_seen_subcommand_from help" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l unit-dir -d 'Read unit files from DIR (repeatable, searched in order). Replaces the default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing `:` appends the defaults) is searched after these' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l state-dir -d 'Keep the state database (state.db: timer stamps, run history, logs) in DIR (default: $SUNDIAL_STATE_DIR, else the scope\'s, below)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l socket -d 'Listen for commands on this Unix socket' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l config -d 'Read settings from this TOML file (it must exist when given); its keys are under CONFIGURATION in sundial-daemon(1)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l crontab -d 'Run the jobs of this crontab as they are (repeatable). The file is read again when it changes; a version with errors keeps the jobs of the last good one. Six-field lines (seconds first) are accepted' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l cgroup -d 'Make the services\' cgroups in this cgroup v2 directory instead of the daemon\'s own: a path below the cgroup v2 mount (`/sundial` or `/sys/fs/cgroup/sundial`). It must exist and be writable, or the daemon does not start; the daemon moves itself into a leaf of its subtree there. Overrides `cgroup` in the config file' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l metrics-listen -d 'Serve Prometheus metrics at /metrics on ADDR: HOST:PORT (`127.0.0.1:9558`) or a Unix socket path. Off by default; overrides `metrics_listen` in the config file' -r
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l http-listen -d 'Serve the read-only dashboard on ADDR: HOST:PORT, a port alone (on 127.0.0.1) or a Unix socket path. Off by default; overrides `http_listen` in the config file' -r
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l clock -d 'Where the daemon reads the time: `real`, or `manual` for tests (needs SUNDIAL_ALLOW_MANUAL_CLOCK=1; the clock is then moved through clock.sock beside the control socket)' -r -f -a "real\t''
manual\t''"
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l localtime -d 'Read the default time zone from FILE instead of /etc/localtime, and watch it for changes (tests; ignored while TZ is set, as by the C library)' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l user -d 'Use the per-user directories (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l system -d 'Use the system directories (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -l log-stdout -d 'Also print every line services write, as `unit: line`, on stdout'
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand daemon" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand start" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand start" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand start" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand start" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand start" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand stop" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand stop" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand stop" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand stop" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand stop" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand restart" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand restart" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand restart" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand restart" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand restart" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand restart" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand reload" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand reload" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand reload" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand reload" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand reload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand reload" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand try-restart" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand reload-or-restart" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand isolate" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand kill" -s s -l signal -d 'The signal: a name (`TERM`, `SIGHUP`, `RTMIN+1`) or a number' -r
complete -c sundial -n "__fish_sundial_using_subcommand kill" -l kill-whom -l kill-who -d 'Which processes: the main process, the control process (ExecStartPre= ...), or all' -r
complete -c sundial -n "__fish_sundial_using_subcommand kill" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand kill" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand kill" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand kill" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand kill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand kill" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand status" -s n -l lines -d 'How many log lines to show' -r
complete -c sundial -n "__fish_sundial_using_subcommand status" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand status" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand status" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand status" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand status" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand status" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand status" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -s a -l all -d 'List inactive timers too'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l no-legend -d 'Leave out the header and the footer'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-timers" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -s a -l all -d 'List inactive path units too'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -l no-legend -d 'Leave out the header and the footer'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-paths" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -s t -l type -d 'Only units of these types (service, timer, target)' -r
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l state -d 'Only units in these load, active or sub-states (failed, running, inactive, not-found ...)' -r
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -s a -l all -d 'List inactive units too'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l no-legend -d 'Leave out the header and the legend'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-units" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -s a -l all -d 'List sockets that are not started too'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l show-types -d 'Show the socket type (Stream, Datagram, FIFO, ...) in a column'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l no-legend -d 'Leave out the header and the footer'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-sockets" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -s t -l type -d 'Only unit files of these types (service, timer, target, ...)' -r
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l state -d 'Only unit files in these states (enabled, disabled, static, ...)' -r
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l unit-dir -d 'Read unit files from DIR (repeatable) instead of the default directories of the scope' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l no-legend -d 'Leave out the header and the count'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-unit-files" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand show" -s p -l property -d 'Only these properties (repeatable, or a comma-separated list)' -r
complete -c sundial -n "__fish_sundial_using_subcommand show" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand show" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand show" -l value -d 'Print the values only, without `Name=`'
complete -c sundial -n "__fish_sundial_using_subcommand show" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand show" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand show" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand show" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -l reverse -d 'Show the units that depend on the unit instead'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -s a -l all -d 'Expand every unit, not only targets'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand list-dependencies" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand enable" -l now -d 'Also start (enable) or stop (disable) the units'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -s q -l quiet -d 'Do not print the symlinks made and removed'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand enable" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand disable" -l now -d 'Also start (enable) or stop (disable) the units'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -s q -l quiet -d 'Do not print the symlinks made and removed'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand disable" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand mask" -s q -l quiet -d 'Do not print the symlinks made and removed'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand mask" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -s q -l quiet -d 'Do not print the symlinks made and removed'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand unmask" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -s q -l quiet -d 'Print nothing; only the exit code answers'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand is-active" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -s q -l quiet -d 'Print nothing; only the exit code answers'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand is-enabled" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -s q -l quiet -d 'Print nothing; only the exit code answers'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand is-failed" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand reset-failed" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reload" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand daemon-reexec" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l drop-in -d 'The drop-in\'s name (`.conf` is added when missing); default override.conf' -r
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l unit-dir -d 'Read unit files from DIR (repeatable, the first is where the edit is saved) instead of the default directories of the scope' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l full -d 'Edit a copy of the whole unit file instead of a drop-in'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -s f -l force -d 'Create the unit (with --full: its file; else a drop-in) if it has no file yet'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand edit" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s u -l unit -d 'Only this unit\'s lines (repeatable; a name without suffix means NAME.service, a pattern such as \'sync@*\' the known units it matches)' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s n -l lines -d 'Only the last N lines (`-n` alone: 10; `all`: every line). Default: all lines, or 10 with --follow' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s S -l since -d 'Only lines written at or after this time' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s U -l until -d 'Only lines written at or before this time' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l invocation -d 'Only lines of this run (its invocation id, as `sundial history` shows)' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s b -l boot -d 'Only lines of this boot (`-b`, `-b 0`, or this boot\'s ID): written since the machine started' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s p -l priority -d 'Only lines of this priority or a more important one (`err`), or of a range (`err..warning`): emerg, alert, crit, err, warning, notice, info, debug, or 0 to 7. Output lines are info unless they start with `<N>` (SyslogLevelPrefix=); sundial\'s own lines carry systemd\'s priorities' -r
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s o -l output -d 'Output format: short (journalctl\'s default), cat (the text only), json (one object per line, journalctl\'s field names), json-pretty' -r -f -a "short\t'`Feb 29 03:00:01 host unit: text`'
cat\t'The text only'
json\t'One JSON object per line'
json-pretty\t'One indented JSON object per line'"
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s f -l follow -d 'Keep printing new lines as they are written'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s e -l pager-end -d 'Start at the end in the pager (implies `-n 1000` unless -n is given)'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s x -l catalog -d 'Explain sundial\'s own lines about units, as journalctl\'s message catalog does'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand logs" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand history" -s n -l lines -d 'Only the last N runs' -r
complete -c sundial -n "__fish_sundial_using_subcommand history" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand history" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand history" -l state-dir -d 'When no daemon answers, read the state database (state.db) in DIR (the daemon\'s --state-dir). Default: $SUNDIAL_STATE_DIR, else the directory of the socket --socket or $SUNDIAL_SOCKET names, else the scope\'s (see sundial-daemon(1))' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand history" -l cluster -d 'The runs of the cluster\'s shared table (cluster timers and singletons on every node, with the node of each run and its attempt) instead of this daemon\'s own history'
complete -c sundial -n "__fish_sundial_using_subcommand history" -l no-legend -d 'Leave out the header and the footer'
complete -c sundial -n "__fish_sundial_using_subcommand history" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand history" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand history" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand history" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and not __fish_seen_subcommand_from status" -f -a "status" -d 'The nodes, their heartbeats and what each runs'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format' -r -f -a "short\t'The human-readable table or text'
json\t'One line of JSON'
json-pretty\t'Indented JSON'"
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand cluster; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s u -l unit -d 'Name the units NAME.service (and NAME.timer) instead of run-rHEX (random)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -s p -l property -d 'A setting of the service (its Unit or Service section), as a unit file line (repeatable): -p Nice=5, -p Environment=A=b, -p User=backup' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l description -d 'Description= of the units (default: the command line)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -s E -l setenv -d 'Set an environment variable of the command (repeatable); NAME alone passes this shell\'s value' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l working-directory -d 'The command\'s working directory (WorkingDirectory=); a relative path is taken from here' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand run" -l service-type -d 'Type= of the service (simple, exec, oneshot, forking, notify, ...)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l uid -d 'Run as this user (User=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l gid -d 'Run with this group (Group=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l nice -d 'Nice= level of the command' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l expand-environment -d 'Expand $VAR and ${VAR} in the command when it starts, as in ExecStart= ($$ is a literal $); no: pass them as written' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-active -d 'Elapse this long after the timer was made (OnActiveSec=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-boot -d 'Elapse this long after boot (OnBootSec=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-startup -d 'Elapse this long after the daemon started (OnStartupSec=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-unit-active -d 'Elapse this long after the service last started (OnUnitActiveSec=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-unit-inactive -d 'Elapse this long after the service last stopped (OnUnitInactiveSec=)' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-calendar -d 'Elapse on this calendar event (OnCalendar=); repeatable' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l timer-property -d 'A setting of the timer (its Unit or Timer section), as a unit file line (repeatable): --timer-property=AccuracySec=1s. Any makes a timer' -r
complete -c sundial -n "__fish_sundial_using_subcommand run" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand run" -s G -l collect -d 'Remove the units once done even if the service failed (CollectMode=inactive-or-failed); otherwise a failed service stays until reset-failed'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l wait -d 'Wait until the service has finished, print how it ended, and exit with its exit status (1 for other failures). Not with timer options'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l no-block -d 'Return once the service is queued, without waiting for it to start'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s q -l quiet -d 'Print only errors'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s d -l same-dir -d 'Run the command in this directory (--working-directory=$PWD)'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s r -l remain-after-exit -d 'Keep the service active after its command exited (RemainAfterExit=yes), until it is stopped'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-clock-change -d 'Elapse when the wall clock is set (OnClockChange=yes)'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l on-timezone-change -d 'Elapse when the local time zone changes (OnTimezoneChange=yes)'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand run" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand run" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand show-environment" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand set-environment" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -l socket -d 'The daemon\'s control socket; overrides --user, --system and $SUNDIAL_SOCKET' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -l user -d 'Talk to the per-user daemon (default for non-root)'
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -l system -d 'Talk to the system daemon (default for root)'
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -l no-pager -d 'Do not pipe long output into a pager ($SYSTEMD_PAGER, $PAGER, less), which is used only when stdout is a terminal'
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand unset-environment" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand completions" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand completions" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand completions" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand completions" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand completions" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand man" -l dir -d 'Write sundial.1 and one page per command into DIR (created if missing) instead of showing a page' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand man" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand man" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand man" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand man" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand man" -s V -l version -d 'Print version'
complete -c sundial -n "__fish_sundial_using_subcommand help" -l socket -d 'Accepted for systemctl habits; no daemon is asked' -r -F
complete -c sundial -n "__fish_sundial_using_subcommand help" -l user -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand help" -l system -d 'Accepted for systemctl habits; no unit is read'
complete -c sundial -n "__fish_sundial_using_subcommand help" -l no-pager -d 'Accepted for systemctl habits (`cat` pages without it)'
complete -c sundial -n "__fish_sundial_using_subcommand help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sundial -n "__fish_sundial_using_subcommand help" -s V -l version -d 'Print version'
