//! Applying one `Key=Value` to the typed `[Unit]`, `[Timer]` and `[Install]`
//! sections (the `[Service]` directives are in `service_directives.rs`).
//!
//! Each `apply_*` returns `false` when the key is not one sundial models, so
//! that the caller can report it. Bad values are reported through the
//! [`DirectiveCx`] and the assignment is ignored, as systemd does.

use std::path::Path;

use sundial_calendar::{Zone, ZoneSource};

use super::diag::{Diagnostic, Problem, Severity, ValueError};
use super::extensions::DstPolicy;
use super::install::InstallSection;
use super::list::List;
use super::name::UnitName;
use super::specifiers::Specifiers;
use super::timer::{MonotonicBase, TimerSection, TimerTrigger};
use super::unit::{CollectMode, Condition, ConditionKind, EmergencyAction, UnitSection};
use super::values::{
    check_abs_path, parse_bool, parse_calendar, parse_timeout, parse_timespan, parse_unit_names,
};

/// Everything a directive parser needs besides the value.
pub struct DirectiveCx<'a> {
    /// The file being read.
    pub path: &'a Path,
    /// The line of the assignment.
    pub line: usize,
    /// The key.
    pub key: &'a str,
    /// Specifier expansion for this unit.
    pub specifiers: Specifiers<'a>,
    /// The local zone (for calendar specs).
    pub local_zone: &'a Zone,
    /// Named zones (for calendar specs).
    pub zones: &'a dyn ZoneSource,
    /// Where problems go.
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

impl std::fmt::Debug for DirectiveCx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectiveCx")
            .field("path", &self.path)
            .field("line", &self.line)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl DirectiveCx<'_> {
    /// Reports a bad value; the assignment is ignored.
    pub fn warn(&mut self, cause: ValueError) {
        self.report(Severity::Warning, cause);
    }

    /// Reports a bad value that makes the unit fail to load.
    pub fn fatal(&mut self, cause: ValueError) {
        self.report(Severity::Error, cause);
    }

    fn report(&mut self, severity: Severity, cause: ValueError) {
        self.diagnostics.push(Diagnostic {
            path: self.path.to_path_buf(),
            line: self.line,
            severity,
            problem: Problem::Value {
                key: self.key.to_owned(),
                cause,
            },
        });
    }

    /// Reports each error of a list parse.
    pub fn warn_all(&mut self, causes: Vec<ValueError>) {
        for c in causes {
            self.warn(c);
        }
    }

    /// Parses a boolean, warning on failure.
    pub fn bool(&mut self, value: &str) -> Option<bool> {
        parse_bool(value).map_err(|e| self.warn(e)).ok()
    }

    /// Expands specifiers, warning on failure.
    pub fn expand(&mut self, value: &str) -> Option<String> {
        self.specifiers
            .expand(value)
            .map_err(|e| self.warn(e.into()))
            .ok()
    }

    /// Parses a list of unit names and appends them.
    pub fn unit_names(&mut self, value: &str, to: &mut List<UnitName>) {
        let (names, errors) = parse_unit_names(value, &self.specifiers);
        self.warn_all(errors);
        to.extend(names);
    }

    /// Runs `parse` and assigns its result, or warns.
    pub fn set<T>(&mut self, slot: &mut T, parsed: Result<T, ValueError>) {
        match parsed {
            Ok(v) => *slot = v,
            Err(e) => self.warn(e),
        }
    }
}

/// Applies a `[Unit]` directive.
pub fn apply_unit(u: &mut UnitSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    match key {
        "Description" => {
            if value.is_empty() {
                u.description = None;
            } else if let Some(v) = cx.expand(value) {
                u.description = Some(v);
            }
        }
        "Documentation" => {
            if value.is_empty() {
                u.options.documentation.clear();
                return true;
            }
            for word in value.split_whitespace() {
                let Some(url) = cx.expand(word) else { continue };
                // systemd: documentation_url_is_valid()
                let ok = ["http://", "https://", "file:", "info:", "man:"]
                    .iter()
                    .any(|p| url.starts_with(p) && url.len() > p.len());
                if ok {
                    u.options.documentation.push(url);
                } else {
                    cx.warn(ValueError::Invalid(format!("invalid URL, ignoring: {url}")));
                }
            }
        }
        "SourcePath" => {
            if value.is_empty() {
                u.options.source_path = None;
            } else if let Some(v) = cx.expand(value) {
                // systemd: an absolute, normalized path, else ignored.
                if v.starts_with('/') && !v.split('/').any(|c| c == "." || c == "..") {
                    u.options.source_path = Some(v);
                } else {
                    cx.warn(ValueError::Path(v));
                }
            }
        }
        "Requires" => cx.unit_names(value, &mut u.dependencies.requires),
        "Wants" => cx.unit_names(value, &mut u.dependencies.wants),
        "Requisite" => cx.unit_names(value, &mut u.dependencies.requisite),
        "BindsTo" => cx.unit_names(value, &mut u.dependencies.binds_to),
        "PartOf" => cx.unit_names(value, &mut u.dependencies.part_of),
        "Upholds" => cx.unit_names(value, &mut u.dependencies.upholds),
        "After" => cx.unit_names(value, &mut u.dependencies.after),
        "Before" => cx.unit_names(value, &mut u.dependencies.before),
        "Conflicts" => cx.unit_names(value, &mut u.dependencies.conflicts),
        "OnFailure" => cx.unit_names(value, &mut u.dependencies.on_failure),
        "OnSuccess" => cx.unit_names(value, &mut u.dependencies.on_success),
        "StopWhenUnneeded" => {
            if let Some(b) = cx.bool(value) {
                u.options.stop_when_unneeded = b;
            }
        }
        "RequiresMountsFor" => requires_mounts_for(u, cx, value),
        // systemd: a job mode. sundial queues an OnFailure= unit's start as
        // `replace` does, which is what `fail` and `replace-irreversibly`
        // come to where no other job contends for the unit; the modes that
        // act on other units are refused.
        "OnFailureJobMode" => match value {
            "fail" | "replace" | "replace-irreversibly" => {}
            "isolate" | "flush" | "ignore-dependencies" | "ignore-requirements" => {
                cx.warn(ValueError::Invalid(format!(
                    "job mode '{value}' is not supported by sundial, using 'replace'"
                )))
            }
            _ => cx.warn(ValueError::Invalid(format!(
                "Failed to parse job mode, ignoring: {value}"
            ))),
        },
        "AllowIsolate" => {
            if let Some(b) = cx.bool(value) {
                u.options.allow_isolate = b;
            }
        }
        "IgnoreOnIsolate" => {
            if let Some(b) = cx.bool(value) {
                u.options.ignore_on_isolate = b;
            }
        }
        "RefuseManualStart" => {
            if let Some(b) = cx.bool(value) {
                u.options.refuse_manual_start = b;
            }
        }
        "RefuseManualStop" => {
            if let Some(b) = cx.bool(value) {
                u.options.refuse_manual_stop = b;
            }
        }
        "DefaultDependencies" => {
            if let Some(b) = cx.bool(value) {
                u.options.default_dependencies = b;
            }
        }
        "StartLimitIntervalSec" | "StartLimitInterval" => match parse_timespan(value) {
            Ok(t) => u.start_limit_interval = Some(t),
            Err(e) => cx.warn(e),
        },
        "CollectMode" => match CollectMode::parse(value) {
            Some(mode) => u.options.collect_mode = mode,
            None => cx.warn(ValueError::Enum {
                value: value.to_owned(),
                expected: "inactive, inactive-or-failed",
            }),
        },
        "SuccessAction" => emergency_action(cx, &mut u.options.success_action, value),
        "FailureAction" => emergency_action(cx, &mut u.options.failure_action, value),
        "SuccessActionExitStatus" => {
            action_exit_status(cx, &mut u.options.success_action_exit_status, value)
        }
        "FailureActionExitStatus" => {
            action_exit_status(cx, &mut u.options.failure_action_exit_status, value)
        }
        // The second spellings are systemd's old names for the same.
        "PropagatesReloadTo" | "PropagateReloadTo" => {
            cx.unit_names(value, &mut u.jobs_mut().propagates_reload_to)
        }
        "ReloadPropagatedFrom" | "PropagateReloadFrom" => {
            cx.unit_names(value, &mut u.jobs_mut().reload_propagated_from)
        }
        // systemd: parse_sec_fix_0, so 0 is infinity as well.
        "JobTimeoutSec" => match parse_timeout(value) {
            Ok(t) => u.jobs_mut().job_timeout = t,
            Err(e) => cx.warn(e),
        },
        "JobRunningTimeoutSec" => match parse_timeout(value) {
            Ok(t) => u.jobs_mut().job_running_timeout = t,
            Err(e) => cx.warn(e),
        },
        "JobTimeoutAction" => job_timeout_action(cx, &mut u.jobs_mut().job_timeout_action, value),
        // Only an argument for JobTimeoutAction=reboot, which sundial does
        // not carry out.
        "JobTimeoutRebootArgument" => {}
        "StartLimitBurst" => match value.parse::<u32>() {
            Ok(n) => u.start_limit_burst = Some(n),
            Err(_) => cx.warn(ValueError::Number(value.to_owned())),
        },
        _ => return apply_condition(u, cx, value),
    }
    true
}

/// `RequiresMountsFor=`: ordered after the mount units of each path and
/// of every directory above it, as systemd's
/// `unit_add_mount_dependencies` does for the mount points the host has.
/// sundial starts no mount units (the host's mounts are there or not), so
/// no Requires= is added; the order shows in the unit's After= list.
fn requires_mounts_for(u: &mut UnitSection, cx: &mut DirectiveCx<'_>, value: &str) {
    for word in value.split_whitespace() {
        let Some(path) = cx.expand(word) else {
            continue;
        };
        if let Err(e) = check_abs_path(&path) {
            cx.warn(e);
            continue;
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for depth in 0..=parts.len() {
            let prefix = format!("/{}", parts[..depth].join("/"));
            let name = format!("{}.mount", super::name::escape_path(&prefix));
            if let Ok(n) = UnitName::parse(&name) {
                if !u.dependencies.after.contains(&n) {
                    u.dependencies.after.push(n);
                }
            }
        }
    }
}

/// `SuccessAction=`, `FailureAction=`.
fn emergency_action(cx: &mut DirectiveCx<'_>, slot: &mut EmergencyAction, value: &str) {
    match EmergencyAction::parse(value) {
        // systemd 252 (parse_emergency_action): a user manager can only
        // exit.
        Some(action) if cx.specifiers.context.user_manager && !action.allowed_for_user() => {
            cx.warn(ValueError::Invalid(format!(
                "in user mode specified as \"{value}\", using \"exit-force\" instead"
            )));
            *slot = EmergencyAction::ExitForce;
        }
        Some(action) => *slot = action,
        None => cx.warn(ValueError::Enum {
            value: value.to_owned(),
            expected: EmergencyAction::NAMES,
        }),
    }
}

/// `JobTimeoutAction=`: parsed as systemd does; anything but `none` is
/// kept but not carried out, and said so at load.
fn job_timeout_action(cx: &mut DirectiveCx<'_>, slot: &mut EmergencyAction, value: &str) {
    match EmergencyAction::parse(value) {
        Some(EmergencyAction::None) => *slot = EmergencyAction::None,
        Some(action) => {
            cx.warn(ValueError::Invalid(format!(
                "'{value}' is not carried out by sundial (it does not reboot, power off or \
                 exit on a job timeout); the job is only cancelled"
            )));
            *slot = action;
        }
        None => cx.warn(ValueError::Enum {
            value: value.to_owned(),
            expected: EmergencyAction::NAMES,
        }),
    }
}

/// `SuccessActionExitStatus=`: 0-255, empty for the unit's own.
fn action_exit_status(cx: &mut DirectiveCx<'_>, slot: &mut Option<u8>, value: &str) {
    if value.is_empty() {
        *slot = None;
        return;
    }
    match value.parse::<u8>() {
        Ok(n) => *slot = Some(n),
        Err(_) => cx.warn(ValueError::Invalid(format!(
            "invalid exit status '{value}', expected 0..255"
        ))),
    }
}

fn apply_condition(u: &mut UnitSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    let (assert, kind) = if let Some(rest) = key.strip_prefix("Condition") {
        (false, ConditionKind::from_suffix(rest))
    } else if let Some(rest) = key.strip_prefix("Assert") {
        (true, ConditionKind::from_suffix(rest))
    } else {
        return false;
    };
    let Some(kind) = kind else { return false };
    let list = if assert {
        &mut u.options.asserts
    } else {
        &mut u.options.conditions
    };
    // systemd: an empty assignment resets every condition (or assert) so far.
    if value.is_empty() {
        list.clear();
        return true;
    }
    let mut rest = value;
    let mut trigger = false;
    let mut negate = false;
    if let Some(r) = rest.strip_prefix('|') {
        trigger = true;
        rest = r.trim_start();
    }
    if let Some(r) = rest.strip_prefix('!') {
        negate = true;
        rest = r.trim_start();
    }
    let Some(expanded) = cx.expand(rest) else {
        return true;
    };
    if kind.takes_path() {
        if let Err(e) = check_abs_path(&expanded) {
            cx.warn(e);
            return true;
        }
    }
    let condition = Condition {
        kind,
        trigger,
        negate,
        value: expanded,
    };
    if assert {
        u.options.asserts.push(condition);
    } else {
        u.options.conditions.push(condition);
    }
    true
}

/// Applies a `[Timer]` directive.
pub fn apply_timer(t: &mut TimerSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    let base = match key {
        "OnActiveSec" => Some(MonotonicBase::Active),
        "OnBootSec" => Some(MonotonicBase::Boot),
        "OnStartupSec" => Some(MonotonicBase::Startup),
        "OnUnitActiveSec" => Some(MonotonicBase::UnitActive),
        "OnUnitInactiveSec" => Some(MonotonicBase::UnitInactive),
        _ => None,
    };
    if base.is_some() || key == "OnCalendar" {
        // systemd: an empty assignment to any trigger clears them all.
        if value.is_empty() {
            t.triggers.clear();
            return true;
        }
        let Some(expanded) = cx.expand(value) else {
            return true;
        };
        match base {
            Some(base) => match parse_timespan(&expanded) {
                Ok(span) => t.triggers.push(TimerTrigger::Monotonic { base, span }),
                Err(e) => cx.warn(e),
            },
            None => match parse_calendar(&expanded, cx.local_zone, cx.zones) {
                Ok(spec) => t.triggers.push(TimerTrigger::Calendar(spec)),
                Err(e) => cx.warn(ValueError::Calendar(e)),
            },
        }
        return true;
    }
    match key {
        "AccuracySec" => {
            let v = parse_timespan(value);
            cx.set(&mut t.accuracy, v);
        }
        "RandomizedDelaySec" => {
            let v = parse_timespan(value);
            cx.set(&mut t.randomized_delay, v);
        }
        "RandomizedOffsetSec" => {
            let v = parse_timespan(value);
            cx.set(&mut t.randomized_offset, v);
        }
        "FixedRandomDelay" => set_bool(cx, &mut t.fixed_random_delay, value),
        "DeferReactivation" => set_bool(cx, &mut t.defer_reactivation, value),
        "OnClockChange" => set_bool(cx, &mut t.on_clock_change, value),
        "OnTimezoneChange" => set_bool(cx, &mut t.on_timezone_change, value),
        "Persistent" => set_bool(cx, &mut t.persistent, value),
        "WakeSystem" => set_bool(cx, &mut t.wake_system, value),
        "RemainAfterElapse" => set_bool(cx, &mut t.remain_after_elapse, value),
        // sundial's own settings (extensions.rs).
        "X-Sundial-PersistentMonotonic" => set_bool(cx, &mut t.persistent_monotonic, value),
        "X-Sundial-Cluster" => {
            let v = value.parse().and_then(|m| match m {
                crate::unit::extensions::ClusterMode::Singleton => Err(ValueError::Invalid(
                    "singleton is for services; a timer takes once".to_owned(),
                )),
                m => Ok(m),
            });
            cx.set(&mut t.cluster, v);
        }
        "X-Sundial-ClusterFailover" => {
            let v = value.parse();
            cx.set(&mut t.cluster_failover, v);
        }
        "X-Sundial-DSTPolicy" => {
            // An empty assignment resets to the default, so that a drop-in
            // can undo the fragment's choice.
            let v = if value.is_empty() {
                Ok(DstPolicy::default())
            } else {
                value.parse()
            };
            cx.set(&mut t.dst_policy, v);
        }
        "Unit" => {
            // systemd: the first Unit= wins; later ones are ignored.
            if t.unit.is_some() {
                cx.warn(ValueError::Invalid(format!(
                    "multiple units to trigger specified, ignoring: {value}"
                )));
                return true;
            }
            let Some(expanded) = cx.expand(value) else {
                return true;
            };
            match UnitName::parse(&expanded) {
                Ok(n) if n.as_str() == cx.specifiers.unit.as_str() => cx.warn(ValueError::Invalid(
                    format!("units cannot trigger themselves, ignoring: {n}"),
                )),
                Ok(n) => t.unit = Some(n),
                Err(e) => cx.warn(e.into()),
            }
        }
        _ => return false,
    }
    true
}

fn set_bool(cx: &mut DirectiveCx<'_>, slot: &mut bool, value: &str) {
    if let Some(b) = cx.bool(value) {
        *slot = b;
    }
}

/// Applies an `[Install]` directive (with the `[Install]` specifier subset).
pub fn apply_install(i: &mut InstallSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let saved = cx.specifiers;
    cx.specifiers = saved.for_install();
    let known = apply_install_inner(i, cx, value);
    cx.specifiers = saved;
    known
}

fn apply_install_inner(i: &mut InstallSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    match cx.key {
        "WantedBy" => cx.unit_names(value, &mut i.wanted_by),
        "RequiredBy" => cx.unit_names(value, &mut i.required_by),
        "Also" => cx.unit_names(value, &mut i.also),
        "Alias" => {
            let mut names = List::new();
            cx.unit_names(value, &mut names);
            for n in names {
                // systemd: an alias must have the unit's own type suffix.
                if n.suffix() == cx.specifiers.unit.suffix() {
                    i.alias.push(n);
                } else {
                    cx.warn(ValueError::Invalid(format!(
                        "alias '{n}' has a different type than the unit, ignoring"
                    )));
                }
            }
        }
        "DefaultInstance" => {
            if value.is_empty() {
                i.default_instance = None;
            } else if let Some(v) = cx.expand(value) {
                i.default_instance = Some(v);
            }
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::unit::test_text::service;
    use crate::unit::unit::EmergencyAction;

    fn unit_section(lines: &str) -> (crate::unit::UnitSection, Vec<String>) {
        let (unit, diags) = service(
            "t.service",
            &format!("[Unit]\n{lines}\n[Service]\nExecStart=/bin/true\n"),
        );
        (unit.expect("loads").unit.clone(), diags)
    }

    #[test]
    fn requires_mounts_for_orders_after_every_parent_s_mount_unit() {
        let (u, diags) =
            unit_section("RequiresMountsFor=/var/lib/pg /var\nRequiresMountsFor=relative");
        let after: Vec<&str> = u.dependencies.after.iter().map(|n| n.as_str()).collect();
        assert_eq!(
            after,
            ["-.mount", "var.mount", "var-lib.mount", "var-lib-pg.mount"]
        );
        assert!(u.dependencies.requires.is_empty());
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn refuse_manual_and_actions() {
        let (u, diags) = unit_section(
            "RefuseManualStart=yes\nRefuseManualStop=true\nFailureAction=exit\n\
             FailureActionExitStatus=42\nSuccessActionExitStatus=300\nOnFailureJobMode=replace-irreversibly\n\
             OnFailureJobMode=isolate\nIgnoreOnIsolate=yes\nAllowIsolate=yes",
        );
        assert!(u.options.refuse_manual_start && u.options.refuse_manual_stop);
        assert!(u.options.allow_isolate && u.options.ignore_on_isolate);
        assert_eq!(u.options.failure_action, EmergencyAction::Exit);
        assert_eq!(u.options.failure_action_exit_status, Some(42));
        assert_eq!(u.options.success_action_exit_status, None);
        assert_eq!(diags.len(), 2, "300 and isolate: {diags:?}");
        assert!(diags[1].contains("'isolate' is not supported"), "{diags:?}");
    }

    #[test]
    fn job_timeouts_and_reload_propagation() {
        use sundial_calendar::Timespan;
        let (u, diags) = unit_section(
            "PropagatesReloadTo=b.service\nPropagateReloadTo=c.service\nReloadPropagatedFrom=d.service\n\
             JobTimeoutSec=90s\nJobRunningTimeoutSec=0\nJobTimeoutRebootArgument=now\n\
             JobTimeoutAction=reboot-force\nJobTimeoutAction=bogus",
        );
        let names = |l: &crate::unit::list::List<crate::unit::UnitName>| {
            l.iter().map(|n| n.as_str().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(
            names(&u.jobs().propagates_reload_to),
            ["b.service", "c.service"]
        );
        assert_eq!(names(&u.jobs().reload_propagated_from), ["d.service"]);
        assert_eq!(u.jobs().job_timeout, Timespan::parse("90s").expect("span"));
        assert_eq!(
            u.jobs().job_running_timeout,
            Timespan::INFINITY,
            "0 is infinity"
        );
        assert_eq!(u.jobs().job_timeout_action, EmergencyAction::RebootForce);
        assert_eq!(diags.len(), 2, "reboot-force and bogus: {diags:?}");
        assert!(diags[0].contains("not carried out by sundial"), "{diags:?}");

        let (u, diags) = unit_section("JobTimeoutAction=none");
        assert_eq!(u.jobs().job_timeout_action, EmergencyAction::None);
        assert!(diags.is_empty(), "{diags:?}");
    }
}
