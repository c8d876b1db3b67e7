//! `DevicePolicy=` and `DeviceAllow=` (systemd.resource-control(5)): which
//! device nodes a service's processes may open or create. Parsed here;
//! `supervisor::cgroup_devices` turns them into the v1 devices
//! controller's rules.

use super::diag::ValueError;

/// `DevicePolicy=`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevicePolicy {
    /// No restriction without a `DeviceAllow=`; with one, as `closed`.
    #[default]
    Auto,
    /// The standard pseudo devices and the `DeviceAllow=` ones.
    Closed,
    /// Only the `DeviceAllow=` ones.
    Strict,
}

impl DevicePolicy {
    pub const EXPECTED: &'static str = "auto, closed, strict";

    pub fn parse(value: &str) -> Option<DevicePolicy> {
        match value {
            "auto" => Some(DevicePolicy::Auto),
            "closed" => Some(DevicePolicy::Closed),
            "strict" => Some(DevicePolicy::Strict),
            _ => None,
        }
    }
}

/// One `DeviceAllow=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAllow {
    /// A device node (`/dev/null`) or a driver group from /proc/devices
    /// (`char-pts`, `block-loop`, with shell globs: `char-tty*`).
    pub specifier: String,
    /// Of `r`, `w`, `m` (mknod), in that order; all three when none is given.
    pub access: String,
}

/// A `DeviceAllow=` value: `SPECIFIER [rwm]`. Empty resets the list (`None`).
pub fn parse_device_allow(value: &str) -> Result<Option<DeviceAllow>, ValueError> {
    let mut words = value.split_whitespace();
    let Some(specifier) = words.next() else {
        return Ok(None);
    };
    let access = words.next().unwrap_or("rwm");
    if words.next().is_some() {
        return Err(ValueError::Invalid(format!(
            "invalid device entry '{value}': expected a device and its access (rwm)"
        )));
    }
    let known = specifier.starts_with("/dev/")
        || specifier.starts_with("/run/systemd/inaccessible/")
        || specifier.starts_with("char-")
        || specifier.starts_with("block-");
    if !known {
        return Err(ValueError::Invalid(format!(
            "invalid device node or group '{specifier}': expected /dev/..., char-NAME or block-NAME"
        )));
    }
    if access.is_empty() || !access.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) {
        return Err(ValueError::Invalid(format!(
            "invalid device access '{access}' for '{specifier}': expected letters of rwm"
        )));
    }
    let access = ['r', 'w', 'm']
        .into_iter()
        .filter(|c| access.contains(*c))
        .collect();
    Ok(Some(DeviceAllow {
        specifier: specifier.to_owned(),
        access,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_with_their_access() {
        let e = parse_device_allow("/dev/null rw").unwrap().unwrap();
        assert_eq!(
            (e.specifier.as_str(), e.access.as_str()),
            ("/dev/null", "rw")
        );
        let e = parse_device_allow("char-pts").unwrap().unwrap();
        assert_eq!(e.access, "rwm");
        let e = parse_device_allow("block-loop mwr").unwrap().unwrap();
        assert_eq!(e.access, "rwm");
        assert_eq!(parse_device_allow("").unwrap(), None);
    }

    #[test]
    fn bad_entries_name_what_is_wrong() {
        let e = parse_device_allow("/dev/null rx").unwrap_err().to_string();
        assert!(e.contains("'rx'"), "{e}");
        let e = parse_device_allow("/etc/passwd r").unwrap_err().to_string();
        assert!(e.contains("'/etc/passwd'"), "{e}");
        assert!(parse_device_allow("/dev/null r w").is_err());
    }

    #[test]
    fn policies_parse() {
        assert_eq!(DevicePolicy::parse("strict"), Some(DevicePolicy::Strict));
        assert_eq!(DevicePolicy::parse("closed"), Some(DevicePolicy::Closed));
        assert_eq!(DevicePolicy::parse("auto"), Some(DevicePolicy::Auto));
        assert_eq!(DevicePolicy::parse("open"), None);
    }
}
