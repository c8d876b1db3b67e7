//! Units of the types systemd loads without a unit file and sundial does not
//! run: devices, mounts, swaps, slices and scopes. A dependency on one
//! (`BindsTo=dev-%i.device`, `Requires=home.mount`, `Slice=`-like
//! `Wants=user.slice`) is never an error; its state is what the host says
//! where that can be known: a device node that exists, a mount point in
//! /proc/self/mountinfo, a swap in /proc/swaps, a slice's cgroup.
//!
//! This file only interprets names and the text of those host files;
//! `host::foreign_state` reads them.

use super::name::{unescape_path, UnitName};

/// A unit type sundial knows by name only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Foreign {
    /// `.device`: a device node (`dev-sda.device` is /dev/sda).
    Device,
    /// `.mount`: a mount point (`home.mount` is /home, `-.mount` is /).
    Mount,
    /// `.swap`: a swap device or file.
    Swap,
    /// `.slice`: a cgroup in the slice tree (`-.slice` is the root).
    Slice,
    /// `.scope`: a group of processes made elsewhere (`init.scope`).
    Scope,
}

/// Where a foreign unit stands on the host: systemd's ActiveState and
/// SubState for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignState {
    /// Whether the host shows it: its ActiveState is `active`, else
    /// `inactive`.
    pub present: bool,
    /// `plugged`, `mounted`, `running`, `active`, or `dead`.
    pub sub: &'static str,
}

impl ForeignState {
    /// Not there (or not knowable).
    pub const INACTIVE: ForeignState = ForeignState {
        present: false,
        sub: "dead",
    };
}

impl Foreign {
    /// The foreign type of `name`, if it is one.
    pub fn of(name: &UnitName) -> Option<Foreign> {
        Some(match name.suffix() {
            "device" => Foreign::Device,
            "mount" => Foreign::Mount,
            "swap" => Foreign::Swap,
            "slice" => Foreign::Slice,
            "scope" => Foreign::Scope,
            _ => return None,
        })
    }

    /// The state when the host shows the unit present.
    pub fn present(self) -> ForeignState {
        let sub = match self {
            Foreign::Device => "plugged",
            Foreign::Mount => "mounted",
            Foreign::Scope => "running",
            Foreign::Swap | Foreign::Slice => "active",
        };
        ForeignState { present: true, sub }
    }
}

/// The path a device, mount or swap unit name stands for (`dev-sda1.device`
/// → /dev/sda1, `-.mount` → /).
pub fn unit_path(name: &UnitName) -> String {
    unescape_path(name.without_suffix())
}

/// The cgroup directory of a slice below the root of the tree:
/// `a-b-c.slice` is `a.slice/a-b.slice/a-b-c.slice`, `-.slice` the root.
pub fn slice_cgroup(name: &UnitName) -> String {
    let prefix = name.without_suffix();
    if prefix == "-" {
        return String::new();
    }
    let mut parts = Vec::new();
    let mut end = 0;
    for (i, c) in prefix.char_indices() {
        if c == '-' && i > 0 {
            parts.push(format!("{}.slice", &prefix[..i]));
        }
        end = i + c.len_utf8();
    }
    parts.push(format!("{}.slice", &prefix[..end]));
    parts.join("/")
}

/// The kernel's octal escapes in /proc/self/mountinfo and /proc/swaps
/// (`\040` for a space).
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |n, b| n * 8 + u32::from(b - b'0')));
        match octal.and_then(|n| u8::try_from(n).ok()) {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every mount of /proc/self/mountinfo: `(mount point, file system type,
/// super options)`.
pub fn mounts(mountinfo: &str) -> Vec<(String, String, String)> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mount_point = before.split(' ').nth(4)?;
            let mut after = after.split(' ');
            let fstype = after.next()?;
            let options = after.nth(1).unwrap_or_default();
            Some((
                unescape_octal(mount_point),
                fstype.to_owned(),
                options.to_owned(),
            ))
        })
        .collect()
}

/// The swap areas of /proc/swaps, as their paths.
pub fn swaps(proc_swaps: &str) -> Vec<String> {
    proc_swaps
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(unescape_octal)
        .collect()
}

/// Where the unified (v2) or systemd (v1 `name=systemd`) cgroup tree is
/// mounted, from /proc/self/mountinfo: slices and scopes are directories
/// there.
pub fn cgroup_roots(mountinfo: &str) -> Vec<String> {
    mounts(mountinfo)
        .into_iter()
        .filter(|(_, fstype, options)| {
            fstype == "cgroup2"
                || (fstype == "cgroup" && options.split(',').any(|o| o == "name=systemd"))
        })
        .map(|(point, _, _)| point)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> UnitName {
        UnitName::parse(s).expect("valid name")
    }

    #[test]
    fn types_and_paths() {
        assert_eq!(Foreign::of(&name("dev-sda1.device")), Some(Foreign::Device));
        assert_eq!(Foreign::of(&name("home.mount")), Some(Foreign::Mount));
        assert_eq!(Foreign::of(&name("x.socket")), None);
        assert_eq!(Foreign::of(&name("x.service")), None);
        assert_eq!(unit_path(&name("dev-sda1.device")), "/dev/sda1");
        assert_eq!(
            unit_path(&name("dev-disk-by\\x2dlabel-my\\x20disk.device")),
            "/dev/disk/by-label/my disk"
        );
        assert_eq!(unit_path(&name("-.mount")), "/");
        assert_eq!(unit_path(&name("var-lib.mount")), "/var/lib");
    }

    #[test]
    fn slices_nest_by_dashes() {
        assert_eq!(slice_cgroup(&name("-.slice")), "");
        assert_eq!(slice_cgroup(&name("system.slice")), "system.slice");
        assert_eq!(
            slice_cgroup(&name("user-1000.slice")),
            "user.slice/user-1000.slice"
        );
        assert_eq!(
            slice_cgroup(&name("a-b-c.slice")),
            "a.slice/a-b.slice/a-b-c.slice"
        );
    }

    #[test]
    fn mountinfo_and_swaps() {
        let mountinfo = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
42 22 0:39 / /mnt/my\\040disk rw - vfat /dev/sdb1 rw
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
";
        let points: Vec<String> = mounts(mountinfo).into_iter().map(|m| m.0).collect();
        assert!(points.contains(&"/mnt/my disk".to_owned()), "{points:?}");
        assert_eq!(
            cgroup_roots(mountinfo),
            ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]
        );
        let proc_swaps = "Filename\tType\tSize\tUsed\tPriority\n\
                          /dev/sda2                               partition\t1000\t0\t-2\n\
                          /swap\\040file file 10 0 -3\n";
        assert_eq!(swaps(proc_swaps), ["/dev/sda2", "/swap file"]);
    }
}
