//! From lexed files (a fragment and its drop-ins) to one typed unit:
//! dispatch each entry to its section, then check the unit as a whole.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial_calendar::{Zone, ZoneSource};

use super::diag::{Diagnostic, Problem, Severity};
use super::directives::{apply_install, apply_timer, apply_unit, DirectiveCx};
use super::extensions;
use super::install::InstallSection;
use super::known_directives;
use super::lexer::{Entry, Lexed};
use super::list::List;
use super::name::{UnitName, UnitType};
use super::path_unit::{apply_path, PathSection, PathUnit};
use super::service::{
    RestartPolicy, ServiceSection, ServiceType, ServiceUnit, StandardInput, StandardOutput,
};
use super::service_directives::{apply_service, ServiceFlags};
use super::socket::{apply_socket, SocketSection, SocketUnit};
use super::source::UnitSource;
use super::specifiers::{SpecifierContext, Specifiers};
use super::timer::{TimerSection, TimerUnit};
use super::unit::{EmergencyAction, UnitSection};

/// A `.target` unit: only dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUnit {
    /// The unit's name.
    pub name: UnitName,
    /// Where it was loaded from (no fragment for an implicit target).
    pub source: UnitSource,
    /// `[Unit]`.
    pub unit: UnitSection,
    /// `[Install]`.
    pub install: InstallSection,
}

/// Any loaded unit.
// Behind `Arc`: the unit set, the scheduler and the supervisor share one
// copy of each unit instead of keeping three (a service unit is about 1.5 KiB
// before its strings), and maps of units stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// A `.service`.
    Service(Arc<ServiceUnit>),
    /// A `.timer`.
    Timer(Arc<TimerUnit>),
    /// A `.target`.
    Target(Arc<TargetUnit>),
    /// A `.socket`.
    Socket(Arc<SocketUnit>),
    /// A `.path`.
    Path(Arc<PathUnit>),
}

impl Unit {
    /// The unit's name.
    pub fn name(&self) -> &UnitName {
        match self {
            Unit::Service(s) => &s.name,
            Unit::Timer(t) => &t.name,
            Unit::Target(t) => &t.name,
            Unit::Socket(s) => &s.name,
            Unit::Path(p) => &p.name,
        }
    }

    /// The `[Unit]` section.
    pub fn unit_section(&self) -> &UnitSection {
        match self {
            Unit::Service(s) => &s.unit,
            Unit::Timer(t) => &t.unit,
            Unit::Target(t) => &t.unit,
            Unit::Socket(s) => &s.unit,
            Unit::Path(p) => &p.unit,
        }
    }

    /// The `[Unit]` section, mutably (for `.wants/` links). The loader calls
    /// it before the unit is shared, so nothing is copied.
    pub fn unit_section_mut(&mut self) -> &mut UnitSection {
        match self {
            Unit::Service(s) => &mut Arc::make_mut(s).unit,
            Unit::Timer(t) => &mut Arc::make_mut(t).unit,
            Unit::Target(t) => &mut Arc::make_mut(t).unit,
            Unit::Socket(s) => &mut Arc::make_mut(s).unit,
            Unit::Path(p) => &mut Arc::make_mut(p).unit,
        }
    }

    /// The `[Install]` section.
    pub fn install(&self) -> &InstallSection {
        match self {
            Unit::Service(s) => &s.install,
            Unit::Timer(t) => &t.install,
            Unit::Target(t) => &t.install,
            Unit::Socket(s) => &s.install,
            Unit::Path(p) => &p.install,
        }
    }

    /// The files it came from.
    pub fn source(&self) -> &UnitSource {
        match self {
            Unit::Service(s) => &s.source,
            Unit::Timer(t) => &t.source,
            Unit::Target(t) => &t.source,
            Unit::Socket(s) => &s.source,
            Unit::Path(p) => &p.source,
        }
    }

    /// The files it came from, mutably (copied first if shared).
    pub fn source_mut(&mut self) -> &mut UnitSource {
        match self {
            Unit::Service(s) => &mut Arc::make_mut(s).source,
            Unit::Timer(t) => &mut Arc::make_mut(t).source,
            Unit::Target(t) => &mut Arc::make_mut(t).source,
            Unit::Socket(s) => &mut Arc::make_mut(s).source,
            Unit::Path(p) => &mut Arc::make_mut(p).source,
        }
    }
}

/// What the typed layer needs from the environment; the caller fills it.
#[derive(Debug, Clone, Copy)]
pub struct ParseEnv<'a> {
    /// Values of the manager-wide specifiers.
    pub specifiers: &'a SpecifierContext,
    /// The local time zone (calendar specs without a zone).
    pub local_zone: &'a Zone,
    /// Named time zones.
    pub zones: &'a dyn ZoneSource,
}

/// One lexed file of a unit: the fragment or a drop-in.
#[derive(Debug, Clone)]
pub struct LexedFile {
    /// Its path.
    pub path: PathBuf,
    /// Its entries.
    pub lexed: Lexed,
}

/// Builds the typed unit `name` from its files (fragment first, then drop-ins
/// in order). Every problem goes to `diagnostics`; `None` when one of them is
/// fatal.
pub fn assemble(
    name: &UnitName,
    fragment: Option<&Path>,
    files: &[LexedFile],
    env: &ParseEnv<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Unit> {
    let first_error = diagnostics.len();
    let kind = name.unit_type();
    let mut sections = Sections::default();
    let read = ReadCx {
        specifiers: Specifiers::new(env.specifiers, name, fragment),
        env,
        own_section: match kind {
            UnitType::Service => Some("Service"),
            UnitType::Timer => Some("Timer"),
            UnitType::Socket => Some("Socket"),
            UnitType::Path => Some("Path"),
            UnitType::Target | UnitType::Other => None,
        },
    };

    for file in files {
        let is_fragment = fragment == Some(file.path.as_path());
        let from = diagnostics.len();
        match read.file(file, &mut sections, diagnostics) {
            None => {}
            // systemd (unit_load_fragment): the setting's error ends the
            // parse; the rest of the fragment and the drop-ins are not read,
            // and the unit is not checked as a whole.
            Some(Stop::Setting) if is_fragment => {
                diagnostics.push(Diagnostic::error(
                    &file.path,
                    0,
                    Problem::Unit(
                        "Unit configuration has fatal error, unit will not be started.".into(),
                    ),
                ));
                return None;
            }
            // The file cannot be parsed at all: a load error, which the
            // loader reads from the lexed fragment.
            Some(Stop::Lexer) if is_fragment => return None,
            // systemd reads drop-ins ignoring their parse errors: the rest of
            // this one is skipped, and what stopped it is not fatal.
            Some(_) => {
                for d in &mut diagnostics[from..] {
                    d.severity = Severity::Warning;
                }
            }
        }
    }
    let Sections {
        mut unit,
        mut install,
        mut timer,
        mut service,
        mut socket,
        path,
        flags,
    } = sections;

    // Lists grew entry by entry; the unit is kept as long as it is loaded
    // (100,000 timers kept 1 KiB each of unused room before this).
    unit.shrink_to_fit();
    install.shrink_to_fit();
    timer.shrink_to_fit();
    service.shrink_to_fit();
    socket.shrink_to_fit();
    let source = UnitSource {
        fragment: fragment.map(Path::to_path_buf),
        dropins: files
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| Some(p.as_path()) != fragment)
            .collect(),
        aliases: List::new(),
    };
    let whole_file = fragment
        .map(Path::to_path_buf)
        .or_else(|| files.first().map(|f| f.path.clone()))
        .unwrap_or_default();
    let mut fail = |msg: String| {
        diagnostics.push(Diagnostic::error(&whole_file, 0, Problem::Unit(msg)));
    };

    let result = match kind {
        UnitType::Service => {
            let success_action = unit.options.success_action != EmergencyAction::None;
            check_service(&mut service, flags, success_action, &mut fail);
            // Sockets= implies Wants= and After= on each socket (systemd:
            // service_add_extras).
            for socket in &service.rare().sockets {
                unit.dependencies.wants.extend([socket.clone()]);
                unit.dependencies.after.extend([socket.clone()]);
            }
            Unit::Service(Arc::new(ServiceUnit {
                name: name.clone(),
                source,
                unit,
                service,
                install,
            }))
        }
        UnitType::Timer => {
            if !timer.has_trigger() {
                fail(format!("{name}: Timer unit lacks value setting. Refusing."));
            }
            let triggers = match &timer.unit {
                Some(u) => u.clone(),
                None => match name.with_suffix("service") {
                    Ok(n) => n,
                    Err(e) => {
                        fail(format!("{name}: {e}"));
                        name.clone()
                    }
                },
            };
            Unit::Timer(Arc::new(TimerUnit {
                name: name.clone(),
                source,
                unit,
                timer,
                install,
                triggers,
            }))
        }
        UnitType::Socket => {
            if let Err(msg) = super::socket::check_socket(name, &socket) {
                fail(msg);
            }
            let triggers = super::socket::triggered_service(name, &socket).unwrap_or_else(|msg| {
                fail(msg);
                name.clone()
            });
            Unit::Socket(Arc::new(SocketUnit {
                name: name.clone(),
                source,
                unit,
                socket,
                install,
                triggers,
            }))
        }
        UnitType::Path => {
            if path.specs.is_empty() {
                fail(format!("{name}: Path unit lacks path setting. Refusing."));
            }
            let triggers = match &path.unit {
                Some(u) => u.clone(),
                None => match name.with_suffix("service") {
                    Ok(n) => n,
                    Err(e) => {
                        fail(format!("{name}: {e}"));
                        name.clone()
                    }
                },
            };
            Unit::Path(Arc::new(PathUnit {
                name: name.clone(),
                source,
                unit,
                path,
                install,
                triggers,
            }))
        }
        UnitType::Target | UnitType::Other => Unit::Target(Arc::new(TargetUnit {
            name: name.clone(),
            source,
            unit,
            install,
        })),
    };
    let failed = diagnostics[first_error..].iter().any(Diagnostic::is_error);
    (!failed).then_some(result)
}

/// The typed sections a unit's files are applied to.
#[derive(Default)]
struct Sections {
    unit: UnitSection,
    install: InstallSection,
    timer: TimerSection,
    service: ServiceSection,
    socket: SocketSection,
    path: PathSection,
    flags: ServiceFlags,
}

/// Why the reading of a file stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// A setting whose error is fatal (`ExecStart=` with unbalanced quotes,
    /// a relative path, a bad `User=`): systemd's parser returns its error.
    Setting,
    /// The text itself (an unclosed `[Section`, a line over 1 MiB).
    Lexer,
}

/// What reading a file needs besides the file.
struct ReadCx<'a> {
    specifiers: Specifiers<'a>,
    env: &'a ParseEnv<'a>,
    own_section: Option<&'static str>,
}

impl ReadCx<'_> {
    fn known_section(&self, s: &str) -> bool {
        s == "Unit" || s == "Install" || Some(s) == self.own_section
    }

    /// Applies the entries of `file` in order, with its lexical problems
    /// and unknown sections reported in line order among them, and stops at
    /// the first fatal problem as systemd's parser does (later lines are
    /// neither applied nor reported).
    fn file(
        &self,
        file: &LexedFile,
        sections: &mut Sections,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Stop> {
        let mut pending: Vec<Diagnostic> = file.lexed.diagnostics.clone();
        pending.extend(
            file.lexed
                .sections
                .iter()
                .filter(|h| !self.known_section(&h.name) && !h.name.starts_with("X-"))
                .map(|h| {
                    Diagnostic::warning(&file.path, h.line, Problem::UnknownSection(h.name.clone()))
                }),
        );
        // Stable: a line's problems keep their order.
        pending.sort_by_key(|d| d.line);
        let mut pending = pending.into_iter().peekable();
        for entry in &file.lexed.entries {
            while let Some(d) = pending.next_if(|d| d.line < entry.line) {
                diagnostics.push(d);
            }
            let before = diagnostics.len();
            self.entry(file, entry, sections, diagnostics);
            if diagnostics[before..].iter().any(|d| d.is_error()) {
                return Some(Stop::Setting);
            }
        }
        diagnostics.extend(pending);
        file.lexed.fatal.map(|_| Stop::Lexer)
    }

    /// Applies one entry, reporting a key that is unknown or not supported.
    fn entry(
        &self,
        file: &LexedFile,
        entry: &Entry,
        s: &mut Sections,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let section = entry.section.as_str();
        let ours = extensions::is_sundial_key(&entry.key);
        // systemd ignores `X-` keys silently; sundial's own are parsed.
        if !self.known_section(section) || (entry.key.starts_with("X-") && !ours) {
            return;
        }
        let mut cx = DirectiveCx {
            path: &file.path,
            line: entry.line,
            key: &entry.key,
            specifiers: self.specifiers,
            local_zone: self.env.local_zone,
            zones: self.env.zones,
            diagnostics,
        };
        let value = entry.value.as_str();
        let known = match section {
            "Unit" => apply_unit(&mut s.unit, &mut cx, value),
            "Install" => apply_install(&mut s.install, &mut cx, value),
            "Timer" => apply_timer(&mut s.timer, &mut cx, value),
            "Socket" => apply_socket(&mut s.socket, &mut cx, value),
            "Path" => apply_path(&mut s.path, &mut cx, value),
            "Service" => {
                apply_service(&mut s.service, &mut s.flags, &mut cx, value)
                    // systemd still reads the legacy start-limit and
                    // failure-action settings in [Service] (moved to
                    // [Unit] in systemd 229).
                    || (matches!(
                        cx.key,
                        "StartLimitInterval" | "StartLimitBurst" | "FailureAction"
                    )
                        && apply_unit(&mut s.unit, &mut cx, value))
            }
            _ => false,
        };
        if known {
            return;
        }
        let problem = if ours {
            Problem::UnknownExtension {
                section: section.to_owned(),
                key: entry.key.clone(),
            }
        } else if known_directives::is_known(section, &entry.key) {
            Problem::Unsupported {
                key: entry.key.clone(),
            }
        } else {
            Problem::UnknownKey {
                section: section.to_owned(),
                key: entry.key.clone(),
            }
        };
        diagnostics.push(Diagnostic::warning(&file.path, entry.line, problem));
    }
}

/// systemd's `service_fix_stdio`: input data implies StandardInput=data;
/// output inherits from a terminal input only. With any other input an
/// `inherit` (given or default) becomes the manager's default, so that a
/// service never writes into the file or data it reads (checked against
/// systemd 252's `systemd --test` dump).
fn fix_stdio(s: &mut ServiceSection) {
    if s.process.standard_input == StandardInput::Null && !s.process.standard_input_data.is_empty()
    {
        s.process.standard_input = StandardInput::Data;
    }
    // systemd: terminals and sockets are streams both ways; output
    // duplicates them.
    if s.process.standard_input.is_terminal() || s.process.standard_input == StandardInput::Socket {
        s.process
            .standard_output
            .get_or_insert(StandardOutput::Inherit);
        return;
    }
    if s.process.standard_output == Some(StandardOutput::Inherit) {
        // stderr's inherit then follows stdout to the default as well.
        s.process.standard_output = None;
    }
}

/// systemd's `service_fix_up` and `service_verify`: resolve the default
/// Type= and refuse inconsistent services. `success_action`: whether the
/// unit has a `SuccessAction=` other than `none`, which stands in for the
/// commands (systemd-reboot.service has nothing else).
fn check_service(
    s: &mut ServiceSection,
    flags: ServiceFlags,
    success_action: bool,
    fail: &mut impl FnMut(String),
) {
    if !flags.type_set {
        s.service_type = if flags.bus_name_set {
            ServiceType::Dbus
        } else if s.exec_start.is_empty() {
            ServiceType::Oneshot
        } else {
            ServiceType::Simple
        };
    }
    fix_stdio(s);
    private_devices_bounding(s);
    if s.exec_start.is_empty() && s.stop.exec_stop.is_empty() && !success_action {
        fail("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.".into());
    } else if s.service_type != ServiceType::Oneshot && s.exec_start.is_empty() {
        fail(
            "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."
                .into(),
        );
    } else if !s.remain_after_exit && s.exec_start.is_empty() && !success_action {
        fail("Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.".into());
    } else if s.service_type != ServiceType::Oneshot && s.exec_start.len() > 1 {
        fail("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.".into());
    } else if s.service_type == ServiceType::Oneshot
        && matches!(s.restart, RestartPolicy::Always | RestartPolicy::OnSuccess)
    {
        fail("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.".into());
    } else if s.service_type == ServiceType::Dbus && !flags.bus_name_set {
        fail(
            "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."
                .into(),
        );
    }
}

/// systemd's `unit_patch_contexts`: `PrivateDevices=yes` also takes
/// CAP_MKNOD and CAP_SYS_RAWIO out of the bounding set (a service without
/// devices must not make device nodes or do raw I/O either).
fn private_devices_bounding(s: &mut ServiceSection) {
    if !s
        .rare()
        .sandbox
        .as_deref()
        .is_some_and(|sb| sb.private_devices)
    {
        return;
    }
    let c = s.exec_context_mut();
    let all = caps::all().iter().fold(0u64, |m, c| m | c.bitmask());
    let drop = caps::Capability::CAP_MKNOD.bitmask() | caps::Capability::CAP_SYS_RAWIO.bitmask();
    c.capability_bounding_set = Some(c.capability_bounding_set.unwrap_or(all) & !drop);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `[Service]` lines; the service and the diagnostics as text.
    fn service(body: &str) -> (ServiceSection, Vec<String>) {
        let text = format!("[Service]\nExecStart=/bin/cat\n{body}\n");
        match crate::unit::test_text::service("s.service", &text) {
            (Some(s), diags) => (Arc::unwrap_or_clone(s).service, diags),
            (None, diags) => panic!("did not load: {diags:?}"),
        }
    }

    #[test]
    fn failure_action_in_the_service_section_is_the_units() {
        let text = "[Service]\nExecStart=/bin/true\nFailureAction=exit\n";
        let (unit, diags) = crate::unit::test_text::service("s.service", text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            unit.expect("loads").unit.options.failure_action,
            crate::unit::EmergencyAction::Exit
        );
    }

    #[test]
    fn private_devices_takes_mknod_and_rawio_from_the_bounding_set() {
        let mknod = 1u64 << 27;
        let rawio = 1u64 << 17;
        let (s, _) = service("PrivateDevices=yes");
        let set = s.exec_context().capability_bounding_set.expect("a set");
        assert_eq!(set & (mknod | rawio), 0);
        assert_ne!(set & (1 << 21), 0, "CAP_SYS_ADMIN stays");
        let (s, _) = service("CapabilityBoundingSet=CAP_MKNOD CAP_NET_RAW\nPrivateDevices=yes");
        assert_eq!(s.exec_context().capability_bounding_set, Some(1 << 13));
        let (s, _) = service("PrivateDevices=no");
        assert_eq!(s.exec_context().capability_bounding_set, None);
    }

    #[test]
    fn input_text_and_data_share_one_buffer_and_imply_data() {
        let (s, diags) = service(
            "StandardInputText=first\nStandardInputData=c2Vjb25k\nStandardInputText=\\tthird %N",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(s.process.standard_input, StandardInput::Data);
        assert_eq!(s.process.standard_input_data, b"first\nsecond\tthird s\n");
        // Not inherit: data is not a stream to write to.
        assert_eq!(s.process.standard_output, None);
    }

    #[test]
    fn an_empty_assignment_resets_the_buffer() {
        let (s, _) = service("StandardInputText=gone\nStandardInputData=\nStandardInputText=kept");
        assert_eq!(s.process.standard_input_data, b"kept\n");
        let (s, _) = service("StandardInputData=Z29uZQ==\nStandardInputText=");
        assert!(s.process.standard_input_data.is_empty());
        assert_eq!(s.process.standard_input, StandardInput::Null);
    }

    #[test]
    fn explicit_input_wins_over_the_implied_data() {
        // systemd cannot tell an explicit null from the default: data wins.
        let (s, _) = service("StandardInput=null\nStandardInputText=x");
        assert_eq!(s.process.standard_input, StandardInput::Data);
        let (s, _) = service("StandardInput=file:/etc/hostname\nStandardInputText=x");
        assert_eq!(
            s.process.standard_input,
            StandardInput::File("/etc/hostname".into())
        );
        let (s, _) = service("StandardInput=data");
        assert_eq!(s.process.standard_input, StandardInput::Data);
        assert!(s.process.standard_input_data.is_empty());
    }

    #[test]
    fn bad_input_lines_are_reported_and_ignored() {
        let (s, diags) = service("StandardInputText=a\\q\nStandardInputData=QUJ\nTTYPath=tty1");
        assert!(s.process.standard_input_data.is_empty());
        assert_eq!(s.process.tty_path, None);
        assert_eq!(
            diags,
            vec![
                "/units/s.service:3: StandardInputText=: failed to decode C escaped text 'a\\q', ignoring",
                "/units/s.service:4: StandardInputData=: failed to decode base64 data, ignoring: QUJ",
                "/units/s.service:5: TTYPath=: path 'tty1' is not absolute",
            ]
        );
    }

    #[test]
    fn named_descriptor_inputs_are_refused_and_read_as_null() {
        for value in ["fd", "fd:web"] {
            let (s, diags) = service(&format!("StandardInput=tty\nStandardInput={value}"));
            assert_eq!(s.process.standard_input, StandardInput::Null, "{value}");
            assert_eq!(s.process.standard_output, None, "{value}");
            assert_eq!(
                diags,
                vec![format!(
                    "/units/s.service:4: StandardInput=: '{value}' (a named socket descriptor) is not supported by sundial; using null"
                )]
            );
        }
    }

    #[test]
    fn socket_input_is_read_and_output_inherits_it() {
        let (s, diags) = service("StandardInput=socket");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(s.process.standard_input, StandardInput::Socket);
        assert_eq!(s.process.standard_output, Some(StandardOutput::Inherit));
        let (s, _) = service("StandardInput=socket\nStandardOutput=journal");
        assert_eq!(s.process.standard_output, Some(StandardOutput::Journal));
    }

    #[test]
    fn output_inherits_from_a_terminal_only() {
        // As systemd 252's `systemd --test` dump shows them.
        let (s, _) = service("StandardInput=tty-force\nTTYPath=/dev/tty9");
        assert_eq!(s.process.standard_input, StandardInput::TtyForce);
        assert_eq!(s.process.standard_output, Some(StandardOutput::Inherit));
        assert_eq!(s.tty_path(), Path::new("/dev/tty9"));
        let (s, _) = service("StandardInput=tty\nStandardOutput=journal");
        assert_eq!(s.process.standard_output, Some(StandardOutput::Journal));
        let (s, _) = service(
            "StandardInput=file:/etc/hostname\nStandardOutput=inherit\nStandardError=inherit",
        );
        assert_eq!(s.process.standard_output, None);
        assert_eq!(s.process.standard_error, Some(StandardOutput::Inherit));
        let (s, _) = service("StandardOutput=inherit");
        assert_eq!(s.process.standard_output, None);
        assert_eq!(s.tty_path(), Path::new("/dev/console"));
    }

    #[test]
    fn collect_mode_is_read_and_a_bad_one_reported() {
        let load = |line: &str| {
            let text = format!("[Unit]\n{line}\n[Service]\nExecStart=/bin/true\n");
            match crate::unit::test_text::service("c.service", &text) {
                (Some(s), diags) => (s.unit.options.collect_mode, diags),
                (None, diags) => panic!("did not load: {diags:?}"),
            }
        };
        use crate::unit::CollectMode;
        assert_eq!(
            load("CollectMode=inactive-or-failed"),
            (CollectMode::InactiveOrFailed, vec![])
        );
        assert_eq!(
            load("CollectMode=inactive"),
            (CollectMode::Inactive, vec![])
        );
        assert_eq!(
            load("CollectMode=always"),
            (
                CollectMode::Inactive,
                vec![
                    "/units/c.service:2: CollectMode=: invalid value 'always', expected one of: \
                     inactive, inactive-or-failed"
                        .to_owned()
                ]
            )
        );
    }
}
