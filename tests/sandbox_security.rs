//! `sundial security` against `systemd-analyze security --offline=yes`: an
//! unhardened service rates worse than a hardened one with both, and both
//! put each in the same band (unsafe, or better than medium).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const PLAIN: &str = "[Service]\nExecStart=/bin/true\n";

const HARDENED: &str = "[Service]
ExecStart=/bin/true
User=daemon
PrivateTmp=yes
PrivateDevices=yes
PrivateNetwork=yes
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictAddressFamilies=AF_UNIX
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
ProtectProc=invisible
ProcSubset=pid
UMask=0077
";

/// The overall exposure (0.0-10.0) and label a tool printed.
fn overall(output: &str) -> (f64, String) {
    let line = output
        .lines()
        .find(|l| l.contains("Overall exposure level for"))
        .unwrap_or_else(|| panic!("no overall line in {output}"));
    let rest = line.rsplit_once(": ").unwrap().1;
    let mut words = rest.split_whitespace();
    let exposure = words.next().unwrap().parse().unwrap();
    (exposure, words.next().unwrap().to_owned())
}

fn sundial(file: &Path) -> (f64, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("security")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    overall(&String::from_utf8_lossy(&out.stdout))
}

fn systemd(file: &Path) -> Option<(f64, String)> {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(file)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("Overall exposure level")
        .then(|| overall(&text))
}

#[test]
fn a_hardened_unit_rates_better_than_a_plain_one_as_with_systemd_analyze() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let plain = dir.path().join("plain.service");
    let hardened = dir.path().join("hardened.service");
    std::fs::write(&plain, PLAIN).unwrap();
    std::fs::write(&hardened, HARDENED).unwrap();
    let (p, p_label) = sundial(&plain);
    let (h, h_label) = sundial(&hardened);
    eprintln!("sundial: plain {p} {p_label}, hardened {h} {h_label}");
    assert!(h < p, "hardened {h} not below plain {p}");
    assert!(
        p >= 9.0 && matches!(p_label.as_str(), "UNSAFE" | "DANGEROUS"),
        "{p} {p_label}"
    );
    assert!(
        h < 5.0 && matches!(h_label.as_str(), "OK" | "SAFE" | "PERFECT"),
        "{h} {h_label}"
    );
    let (Some((sp, sp_label)), Some((sh, sh_label))) = (systemd(&plain), systemd(&hardened)) else {
        eprintln!(
            "skipped the comparison: systemd-analyze security --offline=yes is not available"
        );
        return;
    };
    eprintln!("systemd-analyze: plain {sp} {sp_label}, hardened {sh} {sh_label}");
    assert!(sh < sp);
    assert_eq!(sp_label, p_label);
    assert!((sp - p).abs() <= 1.0, "plain: systemd {sp}, sundial {p}");
    assert!(sh < 5.0);
}
