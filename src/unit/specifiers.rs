//! `%` specifiers, expanded when a unit is loaded.
//!
//! Everything a specifier can stand for comes from [`SpecifierContext`], which
//! the caller fills (the loader's edge reads `/etc/machine-id`, the host name
//! and the environment); nothing here reads the system.

use std::path::Path;

use super::name::{unescape, unescape_path, UnitName};

/// Values of the manager-wide specifiers. Fields left empty expand to the
/// empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecifierContext {
    /// `%u`: the manager's user name.
    pub user_name: String,
    /// `%U`: the manager's UID.
    pub uid: String,
    /// `%g`: the manager's group name.
    pub group_name: String,
    /// `%G`: the manager's GID.
    pub gid: String,
    /// `%h`: the manager's home directory.
    pub home: String,
    /// `%s`: the manager's shell.
    pub shell: String,
    /// `%t`: runtime directory (`/run` or `$XDG_RUNTIME_DIR`).
    pub runtime_dir: String,
    /// `%S`: state directory (`/var/lib` or `$XDG_CONFIG_HOME` in 252).
    pub state_dir: String,
    /// `%C`: cache directory.
    pub cache_dir: String,
    /// `%L`: log directory.
    pub logs_dir: String,
    /// `%E`: configuration directory.
    pub config_dir: String,
    /// `%T`: temporary directory.
    pub tmp_dir: String,
    /// `%V`: temporary directory for large, persistent files.
    pub var_tmp_dir: String,
    /// `%H`: host name.
    pub hostname: String,
    /// `%q`: pretty host name.
    pub pretty_hostname: String,
    /// `%m`: machine ID.
    pub machine_id: String,
    /// `%b`: boot ID.
    pub boot_id: String,
    /// `%a`: architecture (systemd's names: `x86-64`, `arm64`).
    pub architecture: String,
    /// `%v`: kernel release.
    pub kernel_release: String,
    /// `%o`: os-release `ID`.
    pub os_id: String,
    /// `%w`: os-release `VERSION_ID`.
    pub os_version_id: String,
    /// `%W`: os-release `VARIANT_ID`.
    pub os_variant_id: String,
    /// `%B`: os-release `BUILD_ID`.
    pub os_build_id: String,
    /// `%M`: os-release `IMAGE_ID`.
    pub os_image_id: String,
    /// `%A`: os-release `IMAGE_VERSION`.
    pub os_image_version: String,
    /// `%d`: credentials directory.
    pub credentials_dir: String,
    /// Whether the manager is a user's (not a specifier: settings such as
    /// `SuccessAction=` accept less there).
    pub user_manager: bool,
}

impl SpecifierContext {
    /// Defaults of the system manager: root, `/run`, `/var/lib`, … Host and
    /// machine data stay empty for the caller to fill.
    pub fn system() -> SpecifierContext {
        SpecifierContext {
            user_name: "root".into(),
            uid: "0".into(),
            group_name: "root".into(),
            gid: "0".into(),
            home: "/root".into(),
            shell: "/bin/sh".into(),
            runtime_dir: "/run".into(),
            state_dir: "/var/lib".into(),
            cache_dir: "/var/cache".into(),
            logs_dir: "/var/log".into(),
            config_dir: "/etc".into(),
            tmp_dir: "/tmp".into(),
            var_tmp_dir: "/var/tmp".into(),
            ..SpecifierContext::default()
        }
    }
}

/// An unknown specifier: systemd's "Invalid slot".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecifierError {
    /// `%z` and other letters without a meaning.
    #[error("unknown specifier '%{0}'")]
    Unknown(char),
    /// A `%` at the very end of the value.
    #[error("incomplete specifier: '%' at the end of the value")]
    Incomplete,
}

/// Which specifiers a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecifierSet {
    /// Every specifier (most settings).
    All,
    /// The subset `[Install]` supports.
    Install,
}

/// Specifier expansion for one unit: the manager context plus the unit's name
/// and fragment path.
#[derive(Debug, Clone, Copy)]
pub struct Specifiers<'a> {
    /// The manager-wide values.
    pub context: &'a SpecifierContext,
    /// The unit being loaded.
    pub unit: &'a UnitName,
    /// Its fragment file (`%y`, `%Y`), if any.
    pub fragment: Option<&'a Path>,
    /// Which set applies.
    pub set: SpecifierSet,
}

impl<'a> Specifiers<'a> {
    /// Expansion for `unit` with every specifier available.
    pub fn new(
        context: &'a SpecifierContext,
        unit: &'a UnitName,
        fragment: Option<&'a Path>,
    ) -> Specifiers<'a> {
        Specifiers {
            context,
            unit,
            fragment,
            set: SpecifierSet::All,
        }
    }

    /// The same unit with the `[Install]` subset.
    pub fn for_install(self) -> Specifiers<'a> {
        Specifiers {
            set: SpecifierSet::Install,
            ..self
        }
    }

    /// Replaces every `%x` in `input`.
    pub fn expand(&self, input: &str) -> Result<String, SpecifierError> {
        if !input.contains('%') {
            return Ok(input.to_owned());
        }
        let mut out = String::with_capacity(input.len());
        let mut chars = input.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let spec = chars.next().ok_or(SpecifierError::Incomplete)?;
            if self.set == SpecifierSet::Install && !"abBgGHijlmnNopuUvwW%".contains(spec) {
                return Err(SpecifierError::Unknown(spec));
            }
            self.push_value(spec, &mut out)?;
        }
        Ok(out)
    }

    fn push_value(&self, spec: char, out: &mut String) -> Result<(), SpecifierError> {
        let ctx = self.context;
        let unit = self.unit;
        let instance = unit.instance().unwrap_or("");
        match spec {
            '%' => out.push('%'),
            'n' => out.push_str(unit.as_str()),
            'N' => out.push_str(unit.without_suffix()),
            'p' => out.push_str(unit.prefix()),
            'P' => out.push_str(&unescape(unit.prefix())),
            'i' => out.push_str(instance),
            'I' => out.push_str(&unescape(instance)),
            'j' => out.push_str(last_dash_component(unit.prefix())),
            'J' => out.push_str(&unescape(last_dash_component(unit.prefix()))),
            'f' => {
                // systemd: the unescaped instance, or the unescaped prefix for
                // non-instances, as an absolute path.
                let source = if unit.is_instance() {
                    instance
                } else {
                    unit.prefix()
                };
                out.push_str(&unescape_path(source));
            }
            'y' => {
                if let Some(path) = self.fragment {
                    out.push_str(&path.to_string_lossy());
                }
            }
            'Y' => {
                if let Some(dir) = self.fragment.and_then(Path::parent) {
                    out.push_str(&dir.to_string_lossy());
                }
            }
            'l' => out.push_str(ctx.hostname.split('.').next().unwrap_or("")),
            other => out.push_str(match other {
                'u' => &ctx.user_name,
                'U' => &ctx.uid,
                'g' => &ctx.group_name,
                'G' => &ctx.gid,
                'h' => &ctx.home,
                's' => &ctx.shell,
                't' => &ctx.runtime_dir,
                'S' => &ctx.state_dir,
                'C' => &ctx.cache_dir,
                'L' => &ctx.logs_dir,
                'E' => &ctx.config_dir,
                'T' => &ctx.tmp_dir,
                'V' => &ctx.var_tmp_dir,
                'H' => &ctx.hostname,
                'q' => &ctx.pretty_hostname,
                'm' => &ctx.machine_id,
                'b' => &ctx.boot_id,
                'a' => &ctx.architecture,
                'v' => &ctx.kernel_release,
                'o' => &ctx.os_id,
                'w' => &ctx.os_version_id,
                'W' => &ctx.os_variant_id,
                'B' => &ctx.os_build_id,
                'M' => &ctx.os_image_id,
                'A' => &ctx.os_image_version,
                'd' => &ctx.credentials_dir,
                c => return Err(SpecifierError::Unknown(c)),
            }),
        }
        Ok(())
    }
}

fn last_dash_component(prefix: &str) -> &str {
    prefix.rsplit('-').next().unwrap_or(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SpecifierContext {
        SpecifierContext {
            hostname: "web1.example.com".into(),
            machine_id: "0123456789abcdef0123456789abcdef".into(),
            ..SpecifierContext::system()
        }
    }

    #[test]
    fn unit_name_specifiers() {
        let ctx = ctx();
        let unit = UnitName::parse("backup-home@home-alice\\x20b.service").unwrap();
        let s = Specifiers::new(
            &ctx,
            &unit,
            Some(Path::new("/etc/sundial/system/backup-home@.service")),
        );
        let e = |x: &str| s.expand(x).unwrap();
        assert_eq!(e("%n"), "backup-home@home-alice\\x20b.service");
        assert_eq!(e("%N"), "backup-home@home-alice\\x20b");
        assert_eq!(e("%p"), "backup-home");
        assert_eq!(e("%P"), "backup/home");
        assert_eq!(e("%i"), "home-alice\\x20b");
        assert_eq!(e("%I"), "home/alice b");
        assert_eq!(e("%f"), "/home/alice b");
        assert_eq!(e("%j"), "home");
        assert_eq!(e("%y"), "/etc/sundial/system/backup-home@.service");
        assert_eq!(e("%Y"), "/etc/sundial/system");
        assert_eq!(
            e("%H %l %m %u %U %h %t %%"),
            "web1.example.com web1 0123456789abcdef0123456789abcdef root 0 /root /run %"
        );
    }

    #[test]
    fn unknown_and_install_subset() {
        let ctx = ctx();
        let unit = UnitName::parse("a.service").unwrap();
        let s = Specifiers::new(&ctx, &unit, None);
        assert_eq!(s.expand("x%z"), Err(SpecifierError::Unknown('z')));
        assert_eq!(s.expand("x%"), Err(SpecifierError::Incomplete));
        assert_eq!(s.expand("%f"), Ok("/a".into()));
        assert_eq!(
            s.for_install().expand("%t"),
            Err(SpecifierError::Unknown('t'))
        );
        assert_eq!(s.for_install().expand("%n"), Ok("a.service".into()));
    }
}
