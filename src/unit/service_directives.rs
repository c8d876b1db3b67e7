//! Applying one `Key=Value` to the typed `[Service]` section.

use std::path::PathBuf;

use super::diag::ValueError;
use super::directives::DirectiveCx;
use super::exec::{parse_exec_value, split_words, ExecCommand};
use super::list::List;
use super::service::{
    EnvironmentFile, KillMode, Limit, NotifyAccess, OomPolicy, Resource, ResourceLimit,
    RestartPolicy, ServiceSection, ServiceType, StandardInput, StandardOutput, WorkingDirectory,
    CGROUP_CONTROLLERS,
};
use super::stdin_data;
use super::syslog_level::SyslogLevel;
use super::values::{
    check_abs_path, parse_abs_path, parse_bool, parse_environment, parse_exit_status_list,
    parse_permyriad, parse_signal, parse_size, parse_timeout, parse_timespan, parse_user,
    valid_env_name, valid_user_or_group,
};

/// What the caller needs to know beyond the section itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceFlags {
    /// `Type=` was given explicitly.
    pub type_set: bool,
    /// `BusName=` was given (needed by Type=dbus; sundial does not model it).
    pub bus_name_set: bool,
}

/// Applies a `[Service]` directive; `false` when sundial does not model it.
pub fn apply_service(
    s: &mut ServiceSection,
    flags: &mut ServiceFlags,
    cx: &mut DirectiveCx<'_>,
    value: &str,
) -> bool {
    let key = cx.key;
    if let Some(list) = exec_list(s, key) {
        apply_exec(list, cx, value);
        return true;
    }
    if let Some(resource) = Resource::from_key(key) {
        match parse_rlimit(resource, value) {
            Ok(limit) => {
                s.process.limits.retain(|l| l.resource != resource);
                s.process.limits.push(limit);
            }
            Err(e) => cx.warn(e),
        }
        return true;
    }
    if super::sandbox::KEYS.contains(&key) {
        return super::sandbox::apply(
            s.rare_mut().sandbox.get_or_insert_with(Box::default),
            cx,
            value,
        );
    }
    match key {
        // sundial's own (extensions.rs).
        "X-Sundial-Cluster" => {
            let v = value
                .parse::<super::extensions::ClusterMode>()
                .and_then(|m| match m {
                    super::extensions::ClusterMode::Once => Err(super::diag::ValueError::Invalid(
                        "once is for timers; a service takes singleton".to_owned(),
                    )),
                    m => Ok(m),
                });
            match v {
                Ok(m) => s.rare_mut().cluster = m,
                Err(e) => cx.warn(e),
            }
        }
        "Type" => match ServiceType::parse(value) {
            Some(t) => {
                s.service_type = t;
                flags.type_set = true;
            }
            None => cx.warn(enum_error(value, ServiceType::EXPECTED)),
        },
        "BusName" => {
            // Not modelled; remembered so that Type=dbus is judged as systemd does.
            flags.bus_name_set = !value.is_empty();
            return false;
        }
        "RemainAfterExit" => set_bool(cx, &mut s.remain_after_exit, value),
        "GuessMainPID" => set_bool(cx, &mut s.guess_main_pid, value),
        "PIDFile" => {
            if value.is_empty() {
                s.pid_file = None;
            } else {
                let v = parse_abs_path(value, &cx.specifiers).map(Some);
                cx.set(&mut s.pid_file, v);
            }
        }
        "Restart" => match RestartPolicy::parse(value) {
            Some(r) => s.restart = r,
            None => cx.warn(enum_error(value, RestartPolicy::EXPECTED)),
        },
        "RestartSec" => {
            let v = parse_timespan(value);
            cx.set(&mut s.stop.restart_sec, v);
        }
        "SuccessExitStatus" => exit_status(cx, &mut s.stop.success_exit_status, value),
        "RestartPreventExitStatus" => {
            exit_status(cx, &mut s.rare_mut().restart_prevent_exit_status, value)
        }
        "RestartForceExitStatus" => {
            exit_status(cx, &mut s.rare_mut().restart_force_exit_status, value)
        }
        "TimeoutStartSec" => {
            let v = parse_timeout(value).map(Some);
            cx.set(&mut s.timeout_start, v);
        }
        "TimeoutStopSec" => {
            let v = parse_timeout(value).map(Some);
            cx.set(&mut s.stop.timeout_stop, v);
        }
        "TimeoutSec" => match parse_timeout(value) {
            Ok(t) => {
                s.timeout_start = Some(t);
                s.stop.timeout_stop = Some(t);
            }
            Err(e) => cx.warn(e),
        },
        "RuntimeMaxSec" => {
            let v = parse_timeout(value);
            cx.set(&mut s.stop.runtime_max, v);
        }
        "WatchdogSec" => {
            let v = parse_timespan(value);
            cx.set(&mut s.stop.watchdog, v);
        }
        "KillMode" => match KillMode::parse(value) {
            Some(k) => s.stop.kill_mode = k,
            None => cx.warn(enum_error(value, KillMode::EXPECTED)),
        },
        "KillSignal" => {
            let v = parse_signal(value);
            cx.set(&mut s.stop.kill_signal, v);
        }
        "FinalKillSignal" => {
            let v = parse_signal(value);
            cx.set(&mut s.stop.final_kill_signal, v);
        }
        "Sockets" => {
            let mut names = List::default();
            cx.unit_names(value, &mut names);
            let sockets = &mut s.rare_mut().sockets;
            for name in names.iter() {
                if name.unit_type() != super::UnitType::Socket {
                    cx.warn(ValueError::Invalid(format!(
                        "{name} is not a socket unit, ignoring"
                    )));
                } else if !sockets.contains(name) {
                    sockets.push(name.clone());
                }
            }
        }
        "FileDescriptorStoreMax" => match value.trim().parse::<u32>() {
            Ok(n) => s.rare_mut().file_descriptor_store_max = n,
            Err(_) => cx.warn(ValueError::Number(value.to_owned())),
        },
        "RestartKillSignal" => match parse_signal(value) {
            Ok(sig) => s.rare_mut().restart_kill_signal = Some(sig),
            Err(e) => cx.warn(e),
        },
        "SendSIGKILL" => set_bool(cx, &mut s.stop.send_sigkill, value),
        "SendSIGHUP" => set_bool(cx, &mut s.stop.send_sighup, value),
        "User" => optional_user(cx, &mut s.process.user, value),
        "Group" => optional_user(cx, &mut s.process.group, value),
        "SupplementaryGroups" => {
            if value.is_empty() {
                s.process.supplementary_groups.clear();
            } else {
                for word in words(cx, value) {
                    if valid_user_or_group(&word) {
                        s.process.supplementary_groups.push(word);
                    } else {
                        cx.fatal(ValueError::UserName(word));
                    }
                }
            }
        }
        "WorkingDirectory" => working_directory(s, cx, value),
        "RootDirectory" => {
            if value.is_empty() {
                s.rare_mut().root_directory = None;
            } else {
                // systemd: a bad RootDirectory= is fatal.
                match parse_abs_path(value, &cx.specifiers) {
                    Ok(p) => s.rare_mut().root_directory = Some(p),
                    Err(e) => cx.fatal(e),
                }
            }
        }
        "Environment" => {
            if value.is_empty() {
                s.environment.clear();
            } else {
                match parse_environment(value, &cx.specifiers) {
                    Ok((vars, errors)) => {
                        cx.warn_all(errors);
                        s.environment.extend(vars);
                    }
                    Err(e) => cx.warn(e),
                }
            }
        }
        "EnvironmentFile" => environment_file(s, cx, value),
        "UnsetEnvironment" => {
            if value.is_empty() {
                s.process.unset_environment.clear();
            } else {
                for word in words(cx, value) {
                    let name = word.split_once('=').map_or(word.as_str(), |(n, _)| n);
                    if valid_env_name(name) {
                        s.process.unset_environment.push(word);
                    } else {
                        cx.warn(ValueError::Environment(word));
                    }
                }
            }
        }
        "PassEnvironment" => {
            if value.is_empty() {
                s.process.pass_environment.clear();
            } else {
                for word in words(cx, value) {
                    if valid_env_name(&word) {
                        s.process.pass_environment.push(word);
                    } else {
                        cx.warn(ValueError::Environment(word));
                    }
                }
            }
        }
        "UMask" => match u32::from_str_radix(value, 8) {
            Ok(m) if m <= 0o7777 => s.process.umask = m,
            _ => cx.warn(ValueError::Invalid(format!("invalid umask '{value}'"))),
        },
        "Nice" => match value.parse::<i32>() {
            Ok(n) if (-20..=19).contains(&n) => s.process.nice = Some(n),
            _ => cx.warn(ValueError::Invalid(format!(
                "invalid nice priority '{value}', expected -20..19"
            ))),
        },
        "StandardInput" => match parse_standard_input(value, cx) {
            Ok(Some(v)) => s.process.standard_input = v,
            Ok(None) => {
                // Reported, and read as null rather than kept from an
                // earlier line: the service must not get a stdin it did not
                // ask for.
                s.process.standard_input = StandardInput::Null;
                cx.warn(ValueError::Invalid(format!(
                    "'{value}' (a named socket descriptor) is not supported by sundial; using null"
                )));
            }
            Err(e) => cx.warn(e),
        },
        "StandardInputText" => {
            if value.is_empty() {
                s.process.standard_input_data.clear();
            } else if let Err(e) =
                stdin_data::append_text(&mut s.process.standard_input_data, value, &cx.specifiers)
            {
                cx.warn(e);
            }
        }
        "StandardInputData" => {
            if value.is_empty() {
                s.process.standard_input_data.clear();
            } else if let Err(e) =
                stdin_data::append_base64(&mut s.process.standard_input_data, value)
            {
                cx.warn(e);
            }
        }
        "TTYPath" => {
            if value.is_empty() {
                s.process.tty_path = None;
            } else {
                let v = parse_abs_path(value, &cx.specifiers).map(Some);
                cx.set(&mut s.process.tty_path, v);
            }
        }
        "StandardOutput" => match parse_standard_output(value, cx) {
            Ok(v) => s.process.standard_output = Some(v),
            Err(e) => cx.warn(e),
        },
        "StandardError" => match parse_standard_output(value, cx) {
            Ok(v) => s.process.standard_error = Some(v),
            Err(e) => cx.warn(e),
        },
        "SyslogIdentifier" => {
            if value.is_empty() {
                s.rare_mut().syslog_identifier = None;
            } else if let Some(v) = cx.expand(value) {
                s.rare_mut().syslog_identifier = Some(v);
            }
        }
        "SyslogLevel" => match SyslogLevel::parse(value) {
            Some(level) => s.process.syslog_level = level,
            None => cx.warn(enum_error(
                value,
                "emerg, alert, crit, err, warning, notice, info, debug",
            )),
        },
        "SyslogLevelPrefix" => set_bool(cx, &mut s.process.syslog_level_prefix, value),
        // systemd: config_parse_sec and config_parse_unsigned; 0 leaves
        // journald's default in place (the unit exports no value).
        "LogRateLimitIntervalSec" => {
            let v = parse_timespan(value).map(Some);
            cx.set(&mut s.process.log_rate_limit_interval, v);
        }
        "LogRateLimitBurst" => match value.parse::<u32>() {
            Ok(n) => s.process.log_rate_limit_burst = Some(n),
            Err(_) => cx.warn(ValueError::Number(value.to_owned())),
        },
        "NotifyAccess" => match NotifyAccess::parse(value) {
            Some(n) => s.notify_access = Some(n),
            None => cx.warn(enum_error(value, NotifyAccess::EXPECTED)),
        },
        "MemoryMax" => memory_limit(cx, &mut s.rare_mut().memory_max, value),
        "MemoryLimit" => memory_limit(cx, &mut s.rare_mut().memory_limit, value),
        "MemoryHigh" => memory_limit(cx, &mut s.rare_mut().memory_high, value),
        "MemorySwapMax" => memory_limit(cx, &mut s.rare_mut().memory_swap_max, value),
        // systemd: config_parse_sec_def_unset; empty is the default period.
        "CPUQuotaPeriodSec" => {
            if value.is_empty() {
                s.rare_mut().cpu_quota_period_usec = None;
            } else {
                match parse_timespan(value) {
                    Ok(t) => s.rare_mut().cpu_quota_period_usec = Some(t.as_usec()),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "CPUWeight" => weight(cx, &mut s.rare_mut().cpu_weight, value, 1..=10_000),
        "CPUShares" => weight(cx, &mut s.rare_mut().cpu_shares, value, 2..=262_144),
        "IOWeight" => weight(cx, &mut s.rare_mut().io_weight, value, 1..=10_000),
        "OOMPolicy" => match OomPolicy::parse(value) {
            Some(p) => s.stop.oom_policy = p,
            None => cx.warn(enum_error(value, OomPolicy::EXPECTED)),
        },
        "TasksMax" => {
            if value.is_empty() {
                s.rare_mut().tasks_max = None;
            } else {
                let v = parse_limit(value, |v| {
                    v.parse::<u64>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| ValueError::Number(v.to_owned()))
                });
                match v {
                    Ok(l) => s.rare_mut().tasks_max = Some(l),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "Delegate" => delegate(s, cx, value),
        "Slice" => slice(s, cx, value),
        "CPUQuota" => {
            if value.is_empty() {
                s.rare_mut().cpu_quota = None;
            } else {
                match parse_permyriad(value, None) {
                    Ok(0) => cx.warn(ValueError::Invalid(format!(
                        "invalid CPU quota '{value}', ignoring"
                    ))),
                    Ok(p) => s.rare_mut().cpu_quota = Some(p),
                    Err(e) => cx.warn(e),
                }
            }
        }
        _ => {
            if !super::exec_context::is_directive(key) {
                return false;
            }
            return super::exec_context::apply(s.exec_context_mut(), cx, value);
        }
    }
    true
}

fn exec_list<'s>(s: &'s mut ServiceSection, key: &str) -> Option<&'s mut List<ExecCommand>> {
    Some(match key {
        "ExecCondition" => &mut s.exec_condition,
        "ExecStartPre" => &mut s.exec_start_pre,
        "ExecStart" => &mut s.exec_start,
        "ExecStartPost" => &mut s.exec_start_post,
        "ExecReload" => &mut s.exec_reload,
        "ExecStop" => &mut s.stop.exec_stop,
        "ExecStopPost" => &mut s.stop.exec_stop_post,
        _ => return None,
    })
}

/// An `Exec*=` line added to `list` (shared with `[Socket]`).
pub(super) fn apply_exec(list: &mut List<ExecCommand>, cx: &mut DirectiveCx<'_>, value: &str) {
    // systemd: an empty assignment resets the command list.
    if value.is_empty() {
        list.clear();
        return;
    }
    let parsed = parse_exec_value(value, &cx.specifiers);
    for w in parsed.warnings {
        cx.warn(ValueError::Invalid(w));
    }
    list.extend(parsed.commands);
    if let Some((e, fatal)) = parsed.error {
        if fatal {
            cx.fatal(e.into());
        } else {
            cx.warn(e.into());
        }
    }
}

fn enum_error(value: &str, expected: &'static str) -> ValueError {
    ValueError::Enum {
        value: value.to_owned(),
        expected,
    }
}

fn set_bool(cx: &mut DirectiveCx<'_>, slot: &mut bool, value: &str) {
    if let Some(b) = cx.bool(value) {
        *slot = b;
    }
}

fn words(cx: &mut DirectiveCx<'_>, value: &str) -> Vec<String> {
    let words = match split_words(value) {
        Ok((w, _)) => w,
        Err(e) => {
            cx.warn(e.into());
            return Vec::new();
        }
    };
    words.iter().filter_map(|w| cx.expand(w)).collect()
}

/// `Slice=`, as systemd's `config_parse_unit_slice`: empty resets it; the
/// value (specifiers expanded) must name a slice unit (not a template).
/// The root slice `-.slice` (Debian's systemd-exit.service) is the top of
/// the daemon's subtree, where a service without `Slice=` goes too.
fn slice(s: &mut ServiceSection, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        s.slice = None;
        return;
    }
    let Some(expanded) = cx.expand(value) else {
        return;
    };
    match super::name::UnitName::parse(&expanded) {
        Ok(n) if n.suffix() == "slice" && !n.is_template() => {
            s.slice = Some(n);
        }
        _ => cx.warn(ValueError::Invalid(format!(
            "'{expanded}' is not a slice a service can be placed in, ignoring"
        ))),
    }
}

/// `Delegate=`, as systemd's `config_parse_delegate`: empty turns delegation
/// on with no controllers, a boolean on with all or off, a list of
/// controllers on with those added to the ones named before (an unknown
/// name is reported and skipped).
fn delegate(s: &mut ServiceSection, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        s.delegate = true;
        s.delegate_controllers.clear();
        return;
    }
    if let Ok(on) = parse_bool(value) {
        s.delegate = on;
        s.delegate_controllers = if on {
            CGROUP_CONTROLLERS.iter().copied().collect()
        } else {
            List::new()
        };
        return;
    }
    let Ok((words, _)) = split_words(value) else {
        cx.warn(ValueError::Invalid(format!(
            "invalid syntax, ignoring: {value}"
        )));
        return;
    };
    for word in &words {
        if !CGROUP_CONTROLLERS.contains(&word.as_str()) {
            cx.warn(ValueError::Invalid(format!(
                "invalid controller name '{word}', ignoring"
            )));
        }
    }
    s.delegate = true;
    let named = |c: &&str| s.delegate_controllers.contains(c) || words.iter().any(|w| w == c);
    s.delegate_controllers = CGROUP_CONTROLLERS.into_iter().filter(named).collect();
}

fn optional_user(cx: &mut DirectiveCx<'_>, slot: &mut Option<String>, value: &str) {
    if value.is_empty() {
        *slot = None;
        return;
    }
    // systemd refuses the unit over a bad User=/Group= rather than run the
    // service under the wrong identity.
    match parse_user(value, &cx.specifiers) {
        Ok(u) => {
            // systemd 252 warns about User=nobody (not Group=, not 65534).
            if cx.key == "User" && u == "nobody" {
                cx.warn(ValueError::Invalid(
                    "Special user nobody configured, this is not safe!".into(),
                ));
            }
            *slot = Some(u);
        }
        Err(e) => cx.fatal(e),
    }
}

fn exit_status(cx: &mut DirectiveCx<'_>, set: &mut super::exit_status::ExitStatusSet, value: &str) {
    if value.is_empty() {
        *set = Default::default();
        return;
    }
    let errors = parse_exit_status_list(value, set);
    cx.warn_all(errors);
}

fn working_directory(s: &mut ServiceSection, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        s.process.working_directory = None;
        return;
    }
    let (missing_ok, rest) = match value.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, value),
    };
    if rest == "~" {
        s.process.working_directory = Some(WorkingDirectory {
            path: None,
            missing_ok,
        });
        return;
    }
    // systemd: a bad WorkingDirectory= is fatal.
    match parse_abs_path(rest, &cx.specifiers) {
        Ok(p) => {
            s.process.working_directory = Some(WorkingDirectory {
                path: Some(p),
                missing_ok,
            })
        }
        Err(e) => cx.fatal(e),
    }
}

fn environment_file(s: &mut ServiceSection, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        s.process.environment_files.clear();
        return;
    }
    let (optional, rest) = match value.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, value),
    };
    match parse_abs_path(rest, &cx.specifiers) {
        Ok(path) => s
            .process
            .environment_files
            .push(EnvironmentFile { path, optional }),
        Err(e) => cx.warn(e),
    }
}

/// `CPUWeight=`, `CPUShares=`, `IOWeight=`: a number in `range`; empty
/// (or `idle` for CPUWeight=, which sundial does not model) resets.
fn weight(
    cx: &mut DirectiveCx<'_>,
    slot: &mut Option<u64>,
    value: &str,
    range: std::ops::RangeInclusive<u64>,
) {
    if value.is_empty() {
        *slot = None;
        return;
    }
    match value.parse::<u64>() {
        Ok(n) if range.contains(&n) => *slot = Some(n),
        _ => cx.warn(ValueError::Invalid(format!(
            "invalid weight '{value}' (expected {}-{}), ignoring",
            range.start(),
            range.end()
        ))),
    }
}

fn memory_limit(cx: &mut DirectiveCx<'_>, slot: &mut Option<Limit>, value: &str) {
    if value.is_empty() {
        *slot = None;
        return;
    }
    match parse_limit(value, parse_size) {
        Ok(l) => *slot = Some(l),
        Err(e) => cx.warn(e),
    }
}

/// `infinity`, `N%`, or an absolute value parsed by `absolute`.
fn parse_limit(
    value: &str,
    absolute: impl Fn(&str) -> Result<u64, ValueError>,
) -> Result<Limit, ValueError> {
    if value == "infinity" {
        return Ok(Limit::Infinity);
    }
    if value.ends_with('%') {
        return parse_permyriad(value, Some(100)).map(Limit::Permyriad);
    }
    absolute(value).map(Limit::Absolute)
}

fn parse_rlimit(resource: Resource, value: &str) -> Result<ResourceLimit, ValueError> {
    let one = |v: &str| -> Result<Option<u64>, ValueError> {
        if v == "infinity" {
            return Ok(None);
        }
        match resource {
            // systemd: LimitCPU= in seconds (rounded up), LimitRTTIME= in µs,
            // both as time spans.
            Resource::Cpu => parse_timespan(v)
                .map(|t| (!t.is_infinite()).then(|| t.as_usec().div_ceil(1_000_000))),
            Resource::Rttime => parse_timespan(v).map(|t| (!t.is_infinite()).then(|| t.as_usec())),
            Resource::Fsize
            | Resource::Data
            | Resource::Stack
            | Resource::Core
            | Resource::Rss
            | Resource::As
            | Resource::Memlock
            | Resource::Msgqueue => parse_size(v).map(Some),
            Resource::Nice => {
                // Either the raw 0..=40 rlimit value or a nice level -20..19
                // (systemd: a sign or a value < 20 is a nice level).
                let n: i64 = v.parse().map_err(|_| ValueError::Number(v.to_owned()))?;
                if v.starts_with(['+', '-']) {
                    if !(-20..=19).contains(&n) {
                        return Err(ValueError::Number(v.to_owned()));
                    }
                    Ok(Some(
                        u64::try_from(20 - n).map_err(|_| ValueError::Number(v.to_owned()))?,
                    ))
                } else {
                    u64::try_from(n)
                        .ok()
                        .filter(|&n| n <= 40)
                        .map(Some)
                        .ok_or_else(|| ValueError::Number(v.to_owned()))
                }
            }
            _ => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ValueError::Number(v.to_owned())),
        }
    };
    let (soft, hard) = match value.split_once(':') {
        Some((s, h)) => (one(s)?, one(h)?),
        None => {
            let v = one(value)?;
            (v, v)
        }
    };
    if let (Some(s), Some(h)) = (soft, hard) {
        if s > h {
            return Err(ValueError::Invalid(format!(
                "soft limit above hard limit in '{value}'"
            )));
        }
    }
    if soft.is_none() && hard.is_some() {
        return Err(ValueError::Invalid(format!(
            "soft limit above hard limit in '{value}'"
        )));
    }
    Ok(ResourceLimit {
        resource,
        soft,
        hard,
    })
}

fn file_target(
    cx: &mut DirectiveCx<'_>,
    value: &str,
    prefix: &str,
) -> Option<Result<PathBuf, ValueError>> {
    let rest = value.strip_prefix(prefix)?;
    Some(
        cx.specifiers
            .expand(rest)
            .map_err(ValueError::from)
            .and_then(|p| check_abs_path(&p)),
    )
}

/// `None` for the values sundial does not support (`fd`, `fd:NAME`).
fn parse_standard_input(
    value: &str,
    cx: &mut DirectiveCx<'_>,
) -> Result<Option<StandardInput>, ValueError> {
    if let Some(p) = file_target(cx, value, "file:") {
        return p.map(|p| Some(StandardInput::File(p)));
    }
    if value == "fd" || value.starts_with("fd:") {
        return Ok(None);
    }
    Ok(Some(match value {
        "null" => StandardInput::Null,
        "tty" => StandardInput::Tty,
        "tty-force" => StandardInput::TtyForce,
        "tty-fail" => StandardInput::TtyFail,
        "data" => StandardInput::Data,
        "socket" => StandardInput::Socket,
        _ => {
            return Err(enum_error(
                value,
                "null, tty, tty-force, tty-fail, data, file:PATH, socket, fd:NAME",
            ))
        }
    }))
}

fn parse_standard_output(
    value: &str,
    cx: &mut DirectiveCx<'_>,
) -> Result<StandardOutput, ValueError> {
    if let Some(p) = file_target(cx, value, "file:") {
        return p.map(StandardOutput::File);
    }
    if let Some(p) = file_target(cx, value, "append:") {
        return p.map(StandardOutput::Append);
    }
    if let Some(p) = file_target(cx, value, "truncate:") {
        return p.map(StandardOutput::Truncate);
    }
    if let Some(name) = value.strip_prefix("fd:") {
        return Ok(StandardOutput::Fd(name.to_owned()));
    }
    Ok(match value {
        "inherit" => StandardOutput::Inherit,
        "null" => StandardOutput::Null,
        "tty" => StandardOutput::Tty,
        // systemd maps the legacy syslog targets onto the journal.
        "journal" | "syslog" => StandardOutput::Journal,
        "kmsg" => StandardOutput::Kmsg,
        "journal+console" | "syslog+console" => StandardOutput::JournalConsole,
        "kmsg+console" => StandardOutput::KmsgConsole,
        "socket" => StandardOutput::Socket,
        _ => {
            return Err(enum_error(
                value,
                "inherit, null, tty, journal, kmsg, journal+console, kmsg+console, file:PATH, append:PATH, truncate:PATH, socket, fd:NAME",
            ))
        }
    })
}
