//! The edge of the unit layer that reads the host: who we run as, the
//! machine and boot IDs, the host name, `os-release`, and the environment's
//! `XDG_*` and `SUNDIAL_UNIT_PATH`. Everything else in `unit` gets these
//! values as arguments.

use std::collections::HashMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use super::foreign::{cgroup_roots, mounts, slice_cgroup, swaps, unit_path, Foreign, ForeignState};
use super::name::UnitName;
use super::search_path::{Scope, SearchPath};
use super::specifiers::SpecifierContext;

/// The real UID of this process, from `/proc/self/status`.
pub fn current_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The scope a command runs in by default: system for root, user otherwise.
pub fn default_scope() -> Scope {
    if current_uid() == Some(0) {
        Scope::System
    } else {
        Scope::User
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn home() -> Option<PathBuf> {
    env_path("HOME")
}

fn xdg(name: &str, fallback: &str) -> Option<PathBuf> {
    env_path(name).or_else(|| home().map(|h| h.join(fallback)))
}

/// The search path from `--unit-dir` flags, `SUNDIAL_UNIT_PATH` and the
/// defaults of `scope`.
pub fn search_path(scope: Scope, unit_dirs: &[PathBuf]) -> SearchPath {
    let config_home = xdg("XDG_CONFIG_HOME", ".config");
    let env_value = env::var("SUNDIAL_UNIT_PATH").ok();
    SearchPath::build(
        unit_dirs,
        env_value.as_deref(),
        SearchPath::defaults(scope, config_home.as_deref()),
    )
}

fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// `(name, home, shell, gid)` of `uid` from `/etc/passwd`.
fn passwd_entry(uid: u32) -> Option<(String, String, String, String)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid)).then(|| {
            (
                f[0].to_owned(),
                f[5].to_owned(),
                f[6].to_owned(),
                f[3].to_owned(),
            )
        })
    })
}

fn group_name(gid: &str) -> Option<String> {
    let group = fs::read_to_string("/etc/group").ok()?;
    group.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 3 && f[2] == gid).then(|| f[0].to_owned())
    })
}

fn os_release() -> HashMap<String, String> {
    let text = fs::read_to_string("/etc/os-release")
        .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.trim().trim_matches(['"', '\'']).to_owned(),
            )
        })
        .collect()
}

/// systemd's architecture names for Rust's.
fn architecture() -> &'static str {
    match env::consts::ARCH {
        "x86_64" => "x86-64",
        "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        other => other,
    }
}

/// The specifier values of this host for `scope`.
pub fn specifier_context(scope: Scope) -> SpecifierContext {
    let mut ctx = match scope {
        Scope::System => SpecifierContext::system(),
        Scope::User => {
            let uid = current_uid().unwrap_or(0);
            let (name, home_dir, shell, gid) = passwd_entry(uid).unwrap_or_default();
            let home_dir = home()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or(home_dir);
            let path = |p: Option<PathBuf>| {
                p.map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            let config = xdg("XDG_CONFIG_HOME", ".config");
            SpecifierContext {
                user_name: env::var("USER").unwrap_or(name),
                uid: uid.to_string(),
                group_name: group_name(&gid).unwrap_or_default(),
                gid,
                home: home_dir,
                shell,
                runtime_dir: path(env_path("XDG_RUNTIME_DIR")),
                // systemd 252: %S and %L derive from $XDG_CONFIG_HOME.
                state_dir: path(config.clone()),
                cache_dir: path(xdg("XDG_CACHE_HOME", ".cache")),
                logs_dir: path(config.clone().map(|c| c.join("log"))),
                config_dir: path(config),
                tmp_dir: "/tmp".into(),
                var_tmp_dir: "/var/tmp".into(),
                user_manager: true,
                ..SpecifierContext::default()
            }
        }
    };
    if let Some(tmp) = ["TMPDIR", "TEMP", "TMP"].iter().find_map(|v| env_path(v)) {
        ctx.tmp_dir = tmp.to_string_lossy().into_owned();
        ctx.var_tmp_dir = ctx.tmp_dir.clone();
    }
    ctx.hostname = read_trimmed("/proc/sys/kernel/hostname");
    ctx.machine_id = read_trimmed("/etc/machine-id");
    ctx.boot_id = read_trimmed("/proc/sys/kernel/random/boot_id").replace('-', "");
    ctx.kernel_release = read_trimmed("/proc/sys/kernel/osrelease");
    ctx.architecture = architecture().to_owned();
    let os = os_release();
    let get = |k: &str| os.get(k).cloned().unwrap_or_default();
    ctx.os_id = get("ID");
    ctx.os_version_id = get("VERSION_ID");
    ctx.os_variant_id = get("VARIANT_ID");
    ctx.os_build_id = get("BUILD_ID");
    ctx.os_image_id = get("IMAGE_ID");
    ctx.os_image_version = get("IMAGE_VERSION");
    ctx.pretty_hostname = fs::read_to_string("/etc/machine-info")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_HOSTNAME="))
                .map(|v| v.trim_matches(['"', '\'']).to_owned())
        })
        .unwrap_or_default();
    ctx.credentials_dir = env::var("CREDENTIALS_DIRECTORY").unwrap_or_default();
    ctx
}

/// Whether `path` names an executable regular file.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// systemd's fixed search path for bare command names (not `$PATH`).
pub const EXEC_SEARCH_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Resolves an `Exec*=` path: absolute paths as they are, bare names in
/// [`EXEC_SEARCH_PATH`].
pub fn find_executable(path: &str) -> Option<PathBuf> {
    if path.starts_with('/') {
        let p = PathBuf::from(path);
        return is_executable(&p).then_some(p);
    }
    EXEC_SEARCH_PATH
        .iter()
        .map(|d| Path::new(d).join(path))
        .find(|p| is_executable(p))
}

/// What the host says about a device, mount, swap, slice or scope unit
/// (`None` for other names): a device node that exists, a mount point in
/// /proc/self/mountinfo, a swap in /proc/swaps, a slice's or a top-level
/// scope's cgroup. Scopes below a slice cannot be found by name: inactive.
pub fn foreign_state(name: &UnitName) -> Option<ForeignState> {
    let kind = Foreign::of(name)?;
    let mountinfo = || fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let in_cgroup_tree = |dir: &str| {
        cgroup_roots(&mountinfo())
            .iter()
            .any(|root| Path::new(root).join(dir).is_dir())
    };
    let present = match kind {
        Foreign::Device => Path::new(&unit_path(name)).exists(),
        Foreign::Mount => {
            let path = unit_path(name);
            mounts(&mountinfo())
                .iter()
                .any(|(point, _, _)| *point == path)
        }
        Foreign::Swap => {
            // A swap named by a /dev/disk/by-… link is the device it points to.
            let canonical = |p: &str| fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
            let wanted = canonical(&unit_path(name));
            let areas = fs::read_to_string("/proc/swaps").unwrap_or_default();
            swaps(&areas).iter().any(|s| canonical(s) == wanted)
        }
        Foreign::Slice => name.as_str() == "-.slice" || in_cgroup_tree(&slice_cgroup(name)),
        Foreign::Scope => in_cgroup_tree(name.as_str()),
    };
    Some(if present {
        kind.present()
    } else {
        ForeignState::INACTIVE
    })
}

/// Time zones as the rest of sundial reads them: `TZDIR`, then the
/// system's.
pub fn system_zones() -> sundial_calendar::zone::SystemZones {
    sundial_calendar::zone::SystemZones::from_tzdir_env(std::env::var("TZDIR").ok().as_deref())
}
