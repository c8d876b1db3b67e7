//! The loader on real directories: first file wins, drop-ins (own, template,
//! dash-prefix, type-wide) in file-name order, masking, aliases, templates,
//! broken units skipped, `.wants/`; and `sundial cat`'s output.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use sundial::unit::{load_all, LoadContext, SearchPath, SpecifierContext, Unit};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn nice(loaded: &sundial::unit::LoadedUnits, name: &str) -> Option<i32> {
    match loaded.get(name) {
        Some(Unit::Service(s)) => s.service.process.nice,
        _ => panic!("{name} is not a loaded service"),
    }
}

struct Dirs {
    _tmp: tempfile::TempDir,
    high: PathBuf,
    low: PathBuf,
}

fn setup() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let high = tmp.path().join("etc");
    let low = tmp.path().join("lib");
    let svc = "[Service]\nExecStart=/bin/true\n";
    // First file of a name wins.
    write(
        &high.join("a.service"),
        "[Service]\nExecStart=/bin/true\nNice=1\n",
    );
    write(
        &low.join("a.service"),
        "[Service]\nExecStart=/bin/true\nNice=19\n",
    );
    // Drop-ins: sorted by file name across directories; same name in the
    // higher directory hides the lower one.
    write(&low.join("a.service.d/10-low.conf"), "[Service]\nNice=10\n");
    write(
        &high.join("a.service.d/20-high.conf"),
        "[Service]\nNice=2\n",
    );
    write(
        &low.join("a.service.d/20-high.conf"),
        "[Service]\nNice=15\n",
    );
    write(&low.join("a.service.d/ignored.txt"), "[Service]\nNice=16\n");
    // Type-wide and dash-prefix drop-ins.
    write(&low.join("foo-bar-baz.service"), svc);
    write(
        &low.join("foo-.service.d/50-prefix.conf"),
        "[Service]\nNice=5\n",
    );
    write(
        &low.join("service.d/00-all.conf"),
        "[Service]\nUMask=0077\n",
    );
    // Templates and template drop-ins.
    write(
        &low.join("t@.service"),
        "[Service]\nExecStart=/bin/echo %i\n",
    );
    write(&low.join("t@.service.d/x.conf"), "[Service]\nNice=7\n");
    write(&low.join("t@.timer"), "[Timer]\nOnCalendar=daily\n");
    fs::create_dir_all(high.join("timers.target.wants")).unwrap();
    symlink(
        "../../lib/t@.timer",
        high.join("timers.target.wants/t@one.timer"),
    )
    .unwrap();
    // Masking by /dev/null and by an empty file; an alias.
    write(&low.join("masked.service"), svc);
    symlink("/dev/null", high.join("masked.service")).unwrap();
    write(&high.join("empty.service"), "");
    symlink("a.service", high.join("alias.service")).unwrap();
    // A broken unit does not stop the others.
    write(
        &high.join("broken.service"),
        "[Service]\nExecStart=relative/path\n",
    );
    Dirs {
        _tmp: tmp,
        high,
        low,
    }
}

#[test]
fn loader_rules() {
    let d = setup();
    let zones = BundledZones::new();
    let cx = LoadContext {
        search_path: SearchPath::build(&[d.high.clone(), d.low.clone()], None, Vec::new()),
        specifiers: SpecifierContext::system(),
        local_zone: Zone::utc(),
        zones: &zones,
    };
    let loaded = load_all(&cx);
    // 10-low.conf (Nice=10) then the /etc 20-high.conf (Nice=2).
    assert_eq!(nice(&loaded, "a.service"), Some(2));
    let Some(Unit::Service(a)) = loaded.get("a.service") else {
        panic!()
    };
    assert_eq!(
        a.source.fragment.as_deref(),
        Some(d.high.join("a.service").as_path())
    );
    // Sorted by file name across directories, the type-wide one included.
    assert_eq!(
        a.source.dropins,
        vec![
            d.low.join("service.d/00-all.conf"),
            d.low.join("a.service.d/10-low.conf"),
            d.high.join("a.service.d/20-high.conf"),
        ]
    );
    assert_eq!(nice(&loaded, "foo-bar-baz.service"), Some(5));
    let Some(Unit::Service(f)) = loaded.get("foo-bar-baz.service") else {
        panic!()
    };
    assert_eq!(f.service.process.umask, 0o077);
    // The alias resolves to a.service.
    assert_eq!(
        loaded.aliases.get("alias.service").map(String::as_str),
        Some("a.service")
    );
    assert!(loaded.masked.contains_key("masked.service"));
    assert!(loaded.masked.contains_key("empty.service"));
    assert!(loaded.failed.contains("broken.service"));
    assert!(loaded.diagnostics.iter().any(|x| x.is_error()
        && x.to_string().starts_with(&format!(
            "{}:2: ExecStart=",
            d.high.join("broken.service").display()
        ))));
    // The template instance linked into timers.target.wants/ loads, with its
    // service and the template's drop-in.
    assert!(
        matches!(loaded.get("t@one.timer"), Some(Unit::Timer(t)) if t.triggers.as_str() == "t@one.service")
    );
    assert_eq!(nice(&loaded, "t@one.service"), Some(7));
    assert!(loaded.get("t@.service").is_none());
}

#[test]
fn unit_path_env_and_cat() {
    let d = setup();
    let sundial = env!("CARGO_BIN_EXE_sundial");
    let path = format!("{}:{}", d.high.display(), d.low.display());
    let out = Command::new(sundial)
        .args(["cat", "a.service", "t@x.service"])
        .env("SUNDIAL_UNIT_PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!(
        "# {h}/a.service\n[Service]\nExecStart=/bin/true\nNice=1\n\n\
         # {l}/service.d/00-all.conf\n[Service]\nUMask=0077\n\n\
         # {l}/a.service.d/10-low.conf\n[Service]\nNice=10\n\n\
         # {h}/a.service.d/20-high.conf\n[Service]\nNice=2\n\n\
         # {l}/t@.service\n[Service]\nExecStart=/bin/echo %i\n\n\
         # {l}/service.d/00-all.conf\n[Service]\nUMask=0077\n\n\
         # {l}/t@.service.d/x.conf\n[Service]\nNice=7\n",
        h = d.high.display(),
        l = d.low.display()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    let out = Command::new(sundial)
        .args(["cat", "--unit-dir"])
        .arg(&d.high)
        .args(["masked.service", "nope.service"])
        .output()
        .unwrap();
    // As systemctl: a masked unit is a comment in the output, a missing one
    // an error; a bare name is a service.
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "# Unit masked.service is masked.\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "No files found for nope.service.\n"
    );
    let out = Command::new(sundial)
        .current_dir(d.high.parent().unwrap())
        .args(["cat", "--unit-dir"])
        .arg(d.high.file_name().unwrap())
        .arg("a")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with(&format!("# {}/a.service\n", d.high.display())),
        "{out:?}"
    );

    // verify: the broken unit fails, a good one passes, via --unit-dir.
    let status = |unit: &str| {
        Command::new(sundial)
            .args(["verify", "--unit-dir"])
            .arg(&d.high)
            .arg("--unit-dir")
            .arg(&d.low)
            .arg(unit)
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(status("a.service"));
    assert!(status("t@x.service"));
    assert!(!status("broken.service"));
    assert!(!status("masked.service"));
    assert!(!status("nope.service"));
}

/// What a load found, in a form two loads can be compared by.
fn summary(loaded: &sundial::unit::LoadedUnits) -> String {
    format!(
        "units {:#?}\naliases {:?}\nmasked {:?}\nfailed {:?}\nerrors {:?}\nnot found {:?}\nproblems {:?}\ndiagnostics {:#?}",
        loaded.units,
        loaded.aliases,
        loaded.masked,
        loaded.failed,
        loaded.load_errors,
        loaded.not_found,
        loaded.problems,
        loaded.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
    )
}

/// Enough units that the loader reads them on several threads ahead of its
/// queue, and a scan that does not `stat` plain files: both load exactly
/// what one unit at a time after a full scan loads, in the same order, and
/// an empty file still masks its unit, found directly or through an alias.
#[test]
fn parallel_and_deferred_loads_agree_with_a_sequential_one() {
    use sundial::unit::{load_all_indexed, load_units, Lookup, UnitIndex, UnitName};
    let d = setup();
    for i in 0..400 {
        let text = match i % 7 {
            0 => "[Service]\nExecStart=relative\n".to_owned(),
            1 => String::new(),
            2 => "[Service\n".to_owned(),
            _ => format!(
                "[Unit]\nWants=w{i}.service\n[Service]\nExecStart=/bin/true {i}\nNice={}\n",
                i % 20
            ),
        };
        write(&d.low.join(format!("n{i:03}.service")), &text);
        write(
            &d.low.join(format!("n{i:03}.timer")),
            "[Timer]\nOnCalendar=hourly\n",
        );
    }
    write(&d.low.join("n005.service.d/x.conf"), "[Service]\nNice=3\n");
    symlink("empty.service", d.high.join("toempty.service")).unwrap();
    // A type sundial does not load is never read: its mask is seen in the
    // scan.
    write(&d.low.join("empty.mount"), "");
    let zones = BundledZones::new();
    let cx = LoadContext {
        search_path: SearchPath::build(&[d.high.clone(), d.low.clone()], None, Vec::new()),
        specifiers: SpecifierContext::system(),
        local_zone: Zone::utc(),
        zones: &zones,
    };
    let index = UnitIndex::scan(&cx.search_path);
    let names: Vec<UnitName> = index
        .names()
        .filter_map(|n| UnitName::parse(n).ok())
        .filter(|n| !n.is_template())
        .chain(
            index
                .broken_names()
                .iter()
                .filter_map(|n| UnitName::parse(n).ok()),
        )
        .collect();
    let sequential = summary(&load_units(&cx, &index, &names));
    let parallel = summary(&load_all_indexed(&cx, &index));
    assert_eq!(parallel, sequential);
    let mut deferred_index = UnitIndex::scan_deferred(&cx.search_path);
    let deferred = load_all_indexed(&cx, &deferred_index);
    assert_eq!(summary(&deferred), sequential);
    assert!(deferred.masked.contains_key("n001.service"));
    assert!(deferred.masked.contains_key("toempty.service"));
    // Before it is settled, the deferred index does not know the empty
    // file is a mask; after, lookups say so as a full scan's do.
    let empty = UnitName::parse("n008.service").unwrap();
    assert!(matches!(
        deferred_index.lookup(&empty),
        Lookup::Found { .. }
    ));
    deferred_index.settle(&deferred);
    assert!(matches!(deferred_index.lookup(&empty), Lookup::Masked(_)));
    assert_eq!(deferred_index.lookup(&empty), index.lookup(&empty));
    let mount = UnitName::parse("empty.mount").unwrap();
    assert!(matches!(deferred_index.lookup(&mount), Lookup::Masked(_)));
}
