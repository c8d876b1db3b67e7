//! The execution-environment directives of `[Service]` that go beyond
//! User=, WorkingDirectory= and limits: the directories a service owns
//! (RuntimeDirectory= ...), its credentials (LoadCredential= ...), its
//! privileges (capabilities, NoNewPrivileges=, DynamicUser=) and its
//! scheduling (OOMScoreAdjust=, IOSchedulingClass=, CPUAffinity= ...).
//!
//! Parsed here, pure; applied by the supervisor (`supervisor/exec_dirs.rs`,
//! `supervisor/credentials.rs`, `supervisor/privileges.rs`).

use super::diag::ValueError;
use super::directives::DirectiveCx;
use super::exec::split_words;

/// The five kinds of directory a service may ask to have made for it
/// (systemd's `ExecDirectoryType`), in systemd's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DirectoryKind {
    Runtime,
    State,
    Cache,
    Logs,
    Configuration,
}

impl DirectoryKind {
    /// All five, in systemd's order.
    pub const ALL: [DirectoryKind; 5] = [
        DirectoryKind::Runtime,
        DirectoryKind::State,
        DirectoryKind::Cache,
        DirectoryKind::Logs,
        DirectoryKind::Configuration,
    ];

    /// `RuntimeDirectory`, `StateDirectory`, ...: the directive's name.
    pub fn directive(self) -> &'static str {
        match self {
            DirectoryKind::Runtime => "RuntimeDirectory",
            DirectoryKind::State => "StateDirectory",
            DirectoryKind::Cache => "CacheDirectory",
            DirectoryKind::Logs => "LogsDirectory",
            DirectoryKind::Configuration => "ConfigurationDirectory",
        }
    }

    /// The variable that tells the service where its directories are.
    pub fn variable(self) -> &'static str {
        match self {
            DirectoryKind::Runtime => "RUNTIME_DIRECTORY",
            DirectoryKind::State => "STATE_DIRECTORY",
            DirectoryKind::Cache => "CACHE_DIRECTORY",
            DirectoryKind::Logs => "LOGS_DIRECTORY",
            DirectoryKind::Configuration => "CONFIGURATION_DIRECTORY",
        }
    }

    /// systemd's exit status for a directory of this kind that cannot be
    /// made (233/RUNTIME_DIRECTORY, 238/STATE_DIRECTORY, ...).
    pub fn exit_status(self) -> i32 {
        match self {
            DirectoryKind::Runtime => 233,
            DirectoryKind::State => 238,
            DirectoryKind::Cache => 239,
            DirectoryKind::Logs => 240,
            DirectoryKind::Configuration => 241,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn from_key(key: &str) -> Option<(DirectoryKind, bool)> {
        DirectoryKind::ALL.into_iter().find_map(|k| {
            let rest = key.strip_prefix(k.directive())?;
            match rest {
                "" => Some((k, false)),
                "Mode" => Some((k, true)),
                _ => None,
            }
        })
    }
}

/// One kind's directories and their mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directories {
    /// Relative paths under the kind's root, as given.
    pub paths: Vec<String>,
    /// `*DirectoryMode=`; systemd's default is 0755.
    pub mode: u32,
}

impl Default for Directories {
    fn default() -> Directories {
        Directories {
            paths: Vec::new(),
            mode: 0o755,
        }
    }
}

/// `RuntimeDirectoryPreserve=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Preserve {
    /// Removed whenever the service stops.
    #[default]
    No,
    /// Never removed by the daemon.
    Yes,
    /// Kept across an automatic restart and `restart`, removed at a stop.
    Restart,
}

/// Where one credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `LoadCredential=ID:PATH`: a file (an absolute path), or a name looked
    /// up in the daemon's own `$CREDENTIALS_DIRECTORY`.
    Load(String),
    /// `LoadCredential=ID`: the daemon's own credential of that name.
    Inherit,
    /// `SetCredential=ID:VALUE`: the value itself; used only where no
    /// `LoadCredential=` of the same ID gives one.
    Set(Vec<u8>),
}

/// One credential of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: String,
    pub source: CredentialSource,
}

/// `IOSchedulingClass=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoClass {
    None,
    Realtime,
    BestEffort,
    Idle,
}

impl IoClass {
    const EXPECTED: &'static str = "none, realtime, best-effort, idle, 0-3";

    fn parse(value: &str) -> Option<IoClass> {
        Some(match value {
            "none" | "0" => IoClass::None,
            "realtime" | "1" => IoClass::Realtime,
            "best-effort" | "2" => IoClass::BestEffort,
            "idle" | "3" => IoClass::Idle,
            _ => return None,
        })
    }

    /// The kernel's `IOPRIO_CLASS_*` number.
    pub fn number(self) -> i32 {
        self as i32
    }
}

/// `CPUSchedulingPolicy=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuPolicy {
    Other,
    Batch,
    Idle,
    Fifo,
    Rr,
}

impl CpuPolicy {
    const EXPECTED: &'static str = "other, batch, idle, fifo, rr";

    fn parse(value: &str) -> Option<CpuPolicy> {
        Some(match value {
            "other" => CpuPolicy::Other,
            "batch" => CpuPolicy::Batch,
            "idle" => CpuPolicy::Idle,
            "fifo" => CpuPolicy::Fifo,
            "rr" => CpuPolicy::Rr,
            _ => return None,
        })
    }

    /// The kernel's `SCHED_*` number.
    pub fn number(self) -> i32 {
        match self {
            CpuPolicy::Other => libc::SCHED_OTHER,
            CpuPolicy::Batch => libc::SCHED_BATCH,
            CpuPolicy::Idle => libc::SCHED_IDLE,
            CpuPolicy::Fifo => libc::SCHED_FIFO,
            CpuPolicy::Rr => libc::SCHED_RR,
        }
    }

    /// Whether the policy takes a priority above 0.
    pub fn is_realtime(self) -> bool {
        matches!(self, CpuPolicy::Fifo | CpuPolicy::Rr)
    }
}

/// The `SecureBits=` names and their bits (linux/securebits.h).
pub const SECURE_BITS: [(&str, u32); 6] = [
    ("noroot", 1 << 0),
    ("noroot-locked", 1 << 1),
    ("no-setuid-fixup", 1 << 2),
    ("no-setuid-fixup-locked", 1 << 3),
    ("keep-caps", 1 << 4),
    ("keep-caps-locked", 1 << 5),
];

/// The execution-environment directives of one service; `Default` is what
/// a unit that sets none of them gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecContext {
    /// RuntimeDirectory=, StateDirectory=, ... in [`DirectoryKind::ALL`]'s order.
    pub directories: [Directories; 5],
    pub runtime_directory_preserve: Preserve,
    /// LoadCredential=, SetCredential= in order.
    pub credentials: Vec<Credential>,
    /// ImportCredential= globs.
    pub import_credentials: Vec<String>,
    /// LoadCredentialEncrypted=, SetCredentialEncrypted= IDs: the unit
    /// cannot start (no TPM2 or host key decryption in sundial).
    pub encrypted_credentials: Vec<String>,
    pub no_new_privileges: bool,
    /// CapabilityBoundingSet= as a mask of capability numbers; `None`:
    /// left as the daemon has it.
    pub capability_bounding_set: Option<u64>,
    /// AmbientCapabilities=.
    pub ambient_capabilities: u64,
    /// SecureBits=.
    pub secure_bits: u32,
    pub dynamic_user: bool,
    /// PAMName=: refused at start.
    pub pam_name: Option<String>,
    /// OOMScoreAdjust= (-1000..=1000).
    pub oom_score_adjust: Option<i32>,
    pub io_scheduling_class: Option<IoClass>,
    /// IOSchedulingPriority= (0..=7).
    pub io_scheduling_priority: Option<u8>,
    pub cpu_scheduling_policy: Option<CpuPolicy>,
    /// CPUSchedulingPriority= (1..=99 for fifo and rr).
    pub cpu_scheduling_priority: Option<u8>,
    pub cpu_scheduling_reset_on_fork: bool,
    /// CPUAffinity= as CPU numbers, sorted; `None`: inherited.
    pub cpu_affinity: Option<Vec<u32>>,
    /// IgnoreSIGPIPE=, on by default as in systemd.
    pub ignore_sigpipe: bool,
    /// KeyringMode=; `None`: the manager's default (private for the
    /// system daemon, inherit for a user's).
    pub keyring_mode: Option<KeyringMode>,
    /// TTYReset=, TTYVHangup=, TTYVTDisallocate=: what is done to the
    /// terminal (TTYPath=) before the commands that get it and after the run.
    pub tty_reset: bool,
    pub tty_vhangup: bool,
    pub tty_vt_disallocate: bool,
    /// UtmpIdentifier=: the `ut_id` of the utmp/wtmp records of the
    /// service's processes; `None`: no records.
    pub utmp_identifier: Option<String>,
    /// UtmpMode=: which records a process gets at its start.
    pub utmp_mode: UtmpMode,
}

/// `UtmpMode=`: the record types written when a process starts (systemd's
/// `utmp_put_init_process`): `init` an INIT_PROCESS record; `login` that and
/// a LOGIN_PROCESS one; `user` both and a USER_PROCESS one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UtmpMode {
    #[default]
    Init,
    Login,
    User,
}

impl UtmpMode {
    /// The value as written in a unit file.
    pub fn as_str(self) -> &'static str {
        match self {
            UtmpMode::Init => "init",
            UtmpMode::Login => "login",
            UtmpMode::User => "user",
        }
    }
}

/// `KeyringMode=`: which kernel session keyring the commands get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringMode {
    /// The daemon's own.
    Inherit,
    /// A new anonymous session keyring per command.
    Private,
    /// A new session keyring with the user's keyring linked into it.
    Shared,
}

impl Default for ExecContext {
    fn default() -> ExecContext {
        ExecContext::DEFAULT
    }
}

impl ExecContext {
    /// What a unit that sets none of these directives gets.
    pub const DEFAULT: ExecContext = ExecContext {
        directories: [const {
            Directories {
                paths: Vec::new(),
                mode: 0o755,
            }
        }; 5],
        runtime_directory_preserve: Preserve::No,
        credentials: Vec::new(),
        import_credentials: Vec::new(),
        encrypted_credentials: Vec::new(),
        no_new_privileges: false,
        capability_bounding_set: None,
        ambient_capabilities: 0,
        secure_bits: 0,
        dynamic_user: false,
        pam_name: None,
        oom_score_adjust: None,
        io_scheduling_class: None,
        io_scheduling_priority: None,
        cpu_scheduling_policy: None,
        cpu_scheduling_priority: None,
        cpu_scheduling_reset_on_fork: false,
        cpu_affinity: None,
        ignore_sigpipe: true,
        keyring_mode: None,
        tty_reset: false,
        tty_vhangup: false,
        tty_vt_disallocate: false,
        utmp_identifier: None,
        utmp_mode: UtmpMode::Init,
    };

    /// Whether anything is done to the terminal around the run (systemd's
    /// part of `exec_context_may_touch_tty` that is not the standard streams).
    pub fn touches_tty(&self) -> bool {
        self.tty_reset || self.tty_vhangup || self.tty_vt_disallocate
    }

    /// The directories of one kind.
    pub fn directories(&self, kind: DirectoryKind) -> &Directories {
        &self.directories[kind.index()]
    }

    /// Whether the service has any credential to be given.
    pub fn has_credentials(&self) -> bool {
        !self.credentials.is_empty() || !self.import_credentials.is_empty()
    }

    /// Whether the child must change its privileges or scheduling before
    /// exec (and so take the fork path; see `spawn`).
    pub fn changes_process(&self) -> bool {
        let d = &ExecContext::DEFAULT;
        self.no_new_privileges
            || self.capability_bounding_set.is_some()
            || self.ambient_capabilities != 0
            || self.secure_bits != 0
            || self.oom_score_adjust.is_some()
            || self.io_scheduling_class != d.io_scheduling_class
            || self.io_scheduling_priority.is_some()
            || self.cpu_scheduling_policy.is_some()
            || self.cpu_scheduling_priority.is_some()
            || self.cpu_scheduling_reset_on_fork
            || self.cpu_affinity.is_some()
    }
}

/// The directives [`apply`] takes.
pub const DIRECTIVES: &[&str] = &[
    "AmbientCapabilities",
    "CPUAffinity",
    "CPUSchedulingPolicy",
    "CPUSchedulingPriority",
    "CPUSchedulingResetOnFork",
    "CacheDirectory",
    "CacheDirectoryMode",
    "CapabilityBoundingSet",
    "ConfigurationDirectory",
    "ConfigurationDirectoryMode",
    "DynamicUser",
    "IOSchedulingClass",
    "IOSchedulingPriority",
    "IgnoreSIGPIPE",
    "ImportCredential",
    "KeyringMode",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "LogsDirectory",
    "LogsDirectoryMode",
    "NoNewPrivileges",
    "OOMScoreAdjust",
    "PAMName",
    "RuntimeDirectory",
    "RuntimeDirectoryMode",
    "RuntimeDirectoryPreserve",
    "SecureBits",
    "SetCredential",
    "SetCredentialEncrypted",
    "StateDirectory",
    "StateDirectoryMode",
    "TTYReset",
    "TTYVHangup",
    "TTYVTDisallocate",
    "UtmpIdentifier",
    "UtmpMode",
];

/// Whether `key` is one of [`DIRECTIVES`].
pub fn is_directive(key: &str) -> bool {
    DIRECTIVES.binary_search(&key).is_ok()
}

/// Applies one of this module's `[Service]` directives; `false` for any
/// other key.
pub fn apply(c: &mut ExecContext, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    if let Some((kind, mode)) = DirectoryKind::from_key(key) {
        let slot = &mut c.directories[kind.index()];
        if mode {
            match parse_mode(value) {
                Some(m) => slot.mode = m,
                None => cx.warn(ValueError::Invalid(format!("invalid mode '{value}'"))),
            }
        } else {
            directories(slot, cx, value);
        }
        return true;
    }
    match key {
        "RuntimeDirectoryPreserve" => match value {
            "restart" => c.runtime_directory_preserve = Preserve::Restart,
            _ => match cx.bool(value) {
                Some(true) => c.runtime_directory_preserve = Preserve::Yes,
                Some(false) => c.runtime_directory_preserve = Preserve::No,
                None => {}
            },
        },
        "LoadCredential" => load_credential(c, cx, value),
        "SetCredential" => set_credential(c, cx, value),
        "ImportCredential" => {
            if value.is_empty() {
                c.import_credentials.clear();
            } else if let Some(glob) = cx.expand(value) {
                if valid_credential_glob(&glob) {
                    c.import_credentials.push(glob);
                } else {
                    cx.warn(ValueError::Invalid(format!(
                        "credential name glob '{glob}' is not valid, ignoring"
                    )));
                }
            }
        }
        "LoadCredentialEncrypted" | "SetCredentialEncrypted" => {
            if value.is_empty() {
                c.encrypted_credentials.clear();
            } else {
                let id = value.split_once(':').map_or(value, |(id, _)| id);
                c.encrypted_credentials.push(id.to_owned());
            }
        }
        "NoNewPrivileges" => set_bool(cx, &mut c.no_new_privileges, value),
        "TTYReset" => set_bool(cx, &mut c.tty_reset, value),
        "TTYVHangup" => set_bool(cx, &mut c.tty_vhangup, value),
        "TTYVTDisallocate" => set_bool(cx, &mut c.tty_vt_disallocate, value),
        "UtmpIdentifier" => {
            c.utmp_identifier = if value.is_empty() {
                None
            } else {
                cx.expand(value)
            }
        }
        "UtmpMode" => match value {
            "init" => c.utmp_mode = UtmpMode::Init,
            "login" => c.utmp_mode = UtmpMode::Login,
            "user" => c.utmp_mode = UtmpMode::User,
            _ => cx.warn(enum_error(value, "init, login, user")),
        },
        "CapabilityBoundingSet" => {
            if let Some(set) = capability_set(cx, value, c.capability_bounding_set) {
                c.capability_bounding_set = Some(set);
            }
        }
        "AmbientCapabilities" => {
            if let Some(set) = capability_set(cx, value, Some(c.ambient_capabilities)) {
                c.ambient_capabilities = set;
            }
        }
        "SecureBits" => secure_bits(c, cx, value),
        "DynamicUser" => set_bool(cx, &mut c.dynamic_user, value),
        "PAMName" => c.pam_name = (!value.is_empty()).then(|| value.to_owned()),
        "OOMScoreAdjust" => match value.parse::<i32>() {
            Ok(n) if (-1000..=1000).contains(&n) => c.oom_score_adjust = Some(n),
            _ => cx.warn(ValueError::Invalid(format!(
                "invalid OOM score adjustment '{value}', expected -1000..1000"
            ))),
        },
        "IOSchedulingClass" => {
            if value.is_empty() {
                c.io_scheduling_class = None;
            } else {
                match IoClass::parse(value) {
                    Some(class) => c.io_scheduling_class = Some(class),
                    None => cx.warn(enum_error(value, IoClass::EXPECTED)),
                }
            }
        }
        "IOSchedulingPriority" => {
            if value.is_empty() {
                c.io_scheduling_priority = None;
            } else {
                match value.parse::<u8>() {
                    Ok(n) if n <= 7 => c.io_scheduling_priority = Some(n),
                    _ => cx.warn(ValueError::Invalid(format!(
                        "invalid I/O priority '{value}', expected 0..7"
                    ))),
                }
            }
        }
        "CPUSchedulingPolicy" => match CpuPolicy::parse(value) {
            Some(p) => c.cpu_scheduling_policy = Some(p),
            None => cx.warn(enum_error(value, CpuPolicy::EXPECTED)),
        },
        "CPUSchedulingPriority" => match value.parse::<u8>() {
            // systemd checks the range against the policy when it starts.
            Ok(n) if n <= 99 => c.cpu_scheduling_priority = Some(n),
            _ => cx.warn(ValueError::Invalid(format!(
                "invalid CPU scheduling priority '{value}', expected 0..99"
            ))),
        },
        "CPUSchedulingResetOnFork" => set_bool(cx, &mut c.cpu_scheduling_reset_on_fork, value),
        "CPUAffinity" => cpu_affinity(c, cx, value),
        "IgnoreSIGPIPE" => set_bool(cx, &mut c.ignore_sigpipe, value),
        "KeyringMode" => match value {
            "inherit" => c.keyring_mode = Some(KeyringMode::Inherit),
            "private" => c.keyring_mode = Some(KeyringMode::Private),
            "shared" => c.keyring_mode = Some(KeyringMode::Shared),
            _ => cx.warn(ValueError::Enum {
                value: value.to_owned(),
                expected: "inherit, private, shared",
            }),
        },
        _ => return false,
    }
    true
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

fn parse_mode(value: &str) -> Option<u32> {
    u32::from_str_radix(value, 8).ok().filter(|m| *m <= 0o7777)
}

fn words(cx: &mut DirectiveCx<'_>, value: &str) -> Vec<String> {
    match split_words(value) {
        Ok((w, _)) => w,
        Err(e) => {
            cx.warn(e.into());
            Vec::new()
        }
    }
}

/// `RuntimeDirectory=a b/c`: relative paths, normalized, without `..`;
/// systemd's `config_parse_exec_directories`. Empty resets the list.
fn directories(slot: &mut Directories, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        slot.paths.clear();
        return;
    }
    for word in words(cx, value) {
        let Some(path) = cx.expand(&word) else {
            continue;
        };
        if path.contains(':') {
            cx.warn(ValueError::Invalid(format!(
                "'{path}': a symlink destination after ':' is not supported, ignoring"
            )));
            continue;
        }
        match relative_directory(&path) {
            Some(p) => {
                if !slot.paths.contains(&p) {
                    slot.paths.push(p);
                }
            }
            None => cx.warn(ValueError::Invalid(format!(
                "'{path}' is not a valid relative path, ignoring"
            ))),
        }
    }
}

/// A path relative to a directory root: not absolute, no `.` or `..`
/// components, not empty; doubled slashes collapse.
pub fn relative_directory(path: &str) -> Option<String> {
    if path.starts_with('/') || path.contains('\0') {
        return None;
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.iter().any(|p| *p == "." || *p == "..") {
        return None;
    }
    Some(parts.join("/"))
}

/// systemd's `credential_name_valid`: a file name, at most 255 bytes.
pub fn valid_credential_name(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id != "."
        && id != ".."
        && !id.contains('/')
        && !id.contains('\0')
}

fn valid_credential_glob(glob: &str) -> bool {
    valid_credential_name(&glob.replace(['*', '?', '[', ']'], "x"))
}

fn load_credential(c: &mut ExecContext, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        c.credentials
            .retain(|cred| matches!(cred.source, CredentialSource::Set(_)));
        return;
    }
    let Some(expanded) = cx.expand(value) else {
        return;
    };
    let (id, source) = match expanded.split_once(':') {
        Some((id, path)) if !path.is_empty() => (id, CredentialSource::Load(path.to_owned())),
        Some((id, _)) => (id, CredentialSource::Inherit),
        None => (expanded.as_str(), CredentialSource::Inherit),
    };
    if !valid_credential_name(id) {
        cx.warn(ValueError::Invalid(format!(
            "credential name '{id}' is not valid, ignoring"
        )));
        return;
    }
    if let CredentialSource::Load(path) = &source {
        if !path.starts_with('/') && !valid_credential_name(path) {
            cx.warn(ValueError::Invalid(format!(
                "credential source '{path}' is neither an absolute path nor a credential name, ignoring"
            )));
            return;
        }
    }
    c.credentials.push(Credential {
        id: id.to_owned(),
        source,
    });
}

fn set_credential(c: &mut ExecContext, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        c.credentials
            .retain(|cred| !matches!(cred.source, CredentialSource::Set(_)));
        return;
    }
    let Some((id, data)) = value.split_once(':') else {
        cx.warn(ValueError::Invalid(format!(
            "SetCredential= needs ID:VALUE, got '{value}', ignoring"
        )));
        return;
    };
    let Some(id) = cx.expand(id) else { return };
    if !valid_credential_name(&id) {
        cx.warn(ValueError::Invalid(format!(
            "credential name '{id}' is not valid, ignoring"
        )));
        return;
    }
    // systemd: C escapes are resolved in the value; specifiers expanded.
    let Some(data) = cx.expand(data) else { return };
    let data = unescape(&data);
    // A later SetCredential= of the same ID replaces the earlier.
    c.credentials
        .retain(|cred| !(cred.id == id && matches!(cred.source, CredentialSource::Set(_))));
    c.credentials.push(Credential {
        id,
        source: CredentialSource::Set(data),
    });
}

/// The C escapes systemd resolves in SetCredential= (`\n`, `\t`, `\\`,
/// `\xNN`); anything else is kept as written.
fn unescape(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let hex = |j: usize| s.get(j..j + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
            match bytes[i + 1] {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' if hex(i + 2).is_some() => {
                    out.extend(hex(i + 2));
                    i += 4;
                    continue;
                }
                other => out.extend([b'\\', other]),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The number of a capability name (`CAP_NET_RAW`, `cap_net_raw`) or
/// number, as systemd's `capability_from_name`.
pub fn capability_number(name: &str) -> Option<u8> {
    if let Ok(n) = name.parse::<u8>() {
        return (n < 64).then_some(n);
    }
    name.to_ascii_uppercase()
        .parse::<caps::Capability>()
        .ok()
        .map(|c| c.index())
}

/// The names of the capabilities in `mask`, for messages.
pub fn capability_names(mask: u64) -> Vec<String> {
    let mut all: Vec<caps::Capability> = caps::all().into_iter().collect();
    all.sort_by_key(|c| c.index());
    all.into_iter()
        .filter(|c| mask & c.bitmask() != 0)
        .map(|c| c.to_string())
        .collect()
}

/// A capability list as systemd's `config_parse_capability_set`: `~`
/// inverts it; lines add up (OR) to what earlier ones gave, an empty
/// assignment resets to the empty set. `current`: the set so far, `None`
/// where no line set it yet.
fn capability_set(cx: &mut DirectiveCx<'_>, value: &str, current: Option<u64>) -> Option<u64> {
    if value.is_empty() {
        return Some(0);
    }
    let (invert, list) = match value.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let mut sum = 0u64;
    for word in words(cx, list) {
        match capability_number(&word) {
            Some(n) => sum |= 1 << n,
            None => cx.warn(ValueError::Invalid(format!(
                "unknown capability '{word}', ignoring"
            ))),
        }
    }
    let all = caps::all().iter().fold(0u64, |m, c| m | c.bitmask());
    if invert {
        sum = !sum & all;
    }
    Some(match current {
        Some(set) if set != 0 => set | sum,
        _ => sum,
    })
}

fn secure_bits(c: &mut ExecContext, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        c.secure_bits = 0;
        return;
    }
    for word in words(cx, value) {
        match SECURE_BITS.iter().find(|(name, _)| *name == word) {
            Some((_, bit)) => c.secure_bits |= bit,
            None => cx.warn(ValueError::Invalid(format!(
                "unknown secure bit '{word}', ignoring"
            ))),
        }
    }
}

/// `CPUAffinity=0 2-3,5`: numbers and ranges, space or comma separated,
/// adding up; empty resets it.
fn cpu_affinity(c: &mut ExecContext, cx: &mut DirectiveCx<'_>, value: &str) {
    if value.is_empty() {
        c.cpu_affinity = None;
        return;
    }
    let mut cpus = c.cpu_affinity.take().unwrap_or_default();
    for item in value
        .split(|ch: char| ch == ',' || ch.is_ascii_whitespace())
        .filter(|s| !s.is_empty())
    {
        let range = match item.split_once('-') {
            Some((a, b)) => a.parse::<u32>().ok().zip(b.parse::<u32>().ok()),
            None => item.parse::<u32>().ok().map(|n| (n, n)),
        };
        match range {
            Some((a, b)) if a <= b && b < 8192 => cpus.extend(a..=b),
            _ => {
                cx.warn(ValueError::Invalid(format!(
                    "invalid CPU affinity '{item}', ignoring"
                )));
            }
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    c.cpu_affinity = Some(cpus);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(body: &str) -> (ExecContext, Vec<String>) {
        let unit = crate::unit::test_text::service_unit(&format!("ExecStart=/bin/true\n{body}"));
        (unit.service.exec_context().clone(), Vec::new())
    }

    #[test]
    fn the_directive_list_is_sorted_and_complete() {
        assert!(DIRECTIVES.windows(2).all(|w| w[0] < w[1]));
        // Every listed key is taken, and an unknown one is not: a fresh
        // context that takes an empty value of each.
        let unit = crate::unit::test_text::service_unit("ExecStart=/bin/true\nBusName=x.y");
        assert!(!is_directive("BusName"));
        assert!(
            unit.service.rare.is_none(),
            "an unsupported key makes no box"
        );
        // ImportCredential= is systemd 254's, after the 252 list.
        for key in DIRECTIVES.iter().filter(|k| **k != "ImportCredential") {
            assert!(
                crate::unit::known_directives::is_known("Service", key),
                "{key}"
            );
        }
    }

    #[test]
    fn directories_take_relative_paths_and_modes() {
        let (c, _) = context(
            "RuntimeDirectory=foo foo/bar\nRuntimeDirectory=baz//\nRuntimeDirectoryMode=0700\n\
             StateDirectory=../evil /abs ok\nLogsDirectory=x\nLogsDirectory=\n",
        );
        let r = c.directories(DirectoryKind::Runtime);
        assert_eq!(r.paths, ["foo", "foo/bar", "baz"]);
        assert_eq!(r.mode, 0o700);
        assert_eq!(c.directories(DirectoryKind::State).paths, ["ok"]);
        assert_eq!(c.directories(DirectoryKind::State).mode, 0o755);
        assert!(c.directories(DirectoryKind::Logs).paths.is_empty());
    }

    #[test]
    fn credentials_load_set_and_refuse_encrypted() {
        let (c, _) = context(
            "LoadCredential=key:/etc/key\nLoadCredential=passed\nSetCredential=pw:a\\nb\n\
             SetCredential=pw:second\nLoadCredential=bad/id:/x\nSetCredentialEncrypted=sec:abc\n\
             ImportCredential=my.*",
        );
        assert_eq!(
            c.credentials,
            [
                Credential {
                    id: "key".into(),
                    source: CredentialSource::Load("/etc/key".into())
                },
                Credential {
                    id: "passed".into(),
                    source: CredentialSource::Inherit
                },
                Credential {
                    id: "pw".into(),
                    source: CredentialSource::Set(b"second".to_vec())
                },
            ]
        );
        assert_eq!(c.encrypted_credentials, ["sec"]);
        assert_eq!(c.import_credentials, ["my.*"]);
        assert_eq!(unescape("a\\nb\\x41\\q"), b"a\nbA\\q");
    }

    #[test]
    fn terminal_and_utmp_settings() {
        let (c, _) = context(
            "TTYReset=yes\nTTYVHangup=true\nTTYVTDisallocate=1\nUtmpIdentifier=tty%%\nUtmpMode=user",
        );
        assert!(c.tty_reset && c.tty_vhangup && c.tty_vt_disallocate && c.touches_tty());
        assert_eq!(c.utmp_identifier.as_deref(), Some("tty%"));
        assert_eq!(c.utmp_mode, UtmpMode::User);
        let (unit, diags) = crate::unit::test_text::service(
            "u.service",
            "[Service]\nExecStart=/bin/true\nUtmpIdentifier=x\nUtmpIdentifier=\nUtmpMode=bogus\nTTYReset=maybe\n",
        );
        let c = unit.expect("loads").service.exec_context().clone();
        assert_eq!(c.utmp_identifier, None);
        assert_eq!(c.utmp_mode, UtmpMode::Init);
        assert!(!c.touches_tty());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags[0].contains("UtmpMode=") && diags[0].contains("bogus"),
            "{diags:?}"
        );
    }

    #[test]
    fn capability_sets_add_up_invert_and_reset() {
        let raw = 1u64 << 13;
        let bind = 1u64 << 10;
        let (c, _) = context("CapabilityBoundingSet=CAP_NET_RAW cap_net_bind_service");
        assert_eq!(c.capability_bounding_set, Some(raw | bind));
        let (c, _) = context("CapabilityBoundingSet=~CAP_NET_RAW");
        let set = c.capability_bounding_set.expect("set");
        assert_eq!(set & raw, 0);
        assert_ne!(set & bind, 0);
        let (c, _) = context("CapabilityBoundingSet=CAP_NET_RAW\nCapabilityBoundingSet=");
        assert_eq!(c.capability_bounding_set, Some(0));
        let (c, _) = context("AmbientCapabilities=CAP_NET_RAW\nAmbientCapabilities=10");
        assert_eq!(c.ambient_capabilities, raw | bind);
        let (c, _) = context("AmbientCapabilities=CAP_NOPE");
        assert_eq!(c.ambient_capabilities, 0);
        assert_eq!(
            capability_names(raw | bind),
            ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]
        );
    }

    #[test]
    fn scheduling_and_privileges() {
        let (c, _) = context(
            "OOMScoreAdjust=-500\nIOSchedulingClass=idle\nIOSchedulingPriority=7\n\
             CPUSchedulingPolicy=fifo\nCPUSchedulingPriority=10\nCPUSchedulingResetOnFork=yes\n\
             CPUAffinity=0 2-3\nCPUAffinity=1,3\nNoNewPrivileges=yes\nSecureBits=keep-caps noroot\n\
             IgnoreSIGPIPE=no\nDynamicUser=yes\nPAMName=login",
        );
        assert_eq!(c.oom_score_adjust, Some(-500));
        assert_eq!(c.io_scheduling_class, Some(IoClass::Idle));
        assert_eq!(c.io_scheduling_priority, Some(7));
        assert_eq!(c.cpu_scheduling_policy, Some(CpuPolicy::Fifo));
        assert_eq!(c.cpu_scheduling_priority, Some(10));
        assert!(c.cpu_scheduling_reset_on_fork);
        assert_eq!(c.cpu_affinity.as_deref(), Some(&[0, 1, 2, 3][..]));
        assert!(c.no_new_privileges && c.dynamic_user && !c.ignore_sigpipe);
        assert_eq!(c.secure_bits, 0b1_0001);
        assert_eq!(c.pam_name.as_deref(), Some("login"));
        assert!(c.changes_process());
        let (c, _) = context("OOMScoreAdjust=2000\nIOSchedulingClass=fast");
        assert_eq!(c, ExecContext::DEFAULT);
        assert!(!c.changes_process());
    }
}
