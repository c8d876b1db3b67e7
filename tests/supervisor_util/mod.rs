//! Shared helpers of the supervisor integration tests: unit files from text,
//! a supervisor in a temp dir, and waiting with short deadlines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use sundial::supervisor::MemorySink;
use sundial::supervisor::{ActiveState, SubState};
use sundial::supervisor::{ServiceStatus, Supervisor, SupervisorConfig};
use sundial::unit::assemble::{assemble, LexedFile};
use sundial::unit::lexer::lex;
use sundial::unit::specifiers::SpecifierContext;
use sundial::unit::{ParseEnv, ServiceUnit, Unit, UnitName};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

/// Parses a `.service` file's text as the loader would.
pub fn service(name: &str, text: &str) -> ServiceUnit {
    let path = PathBuf::from(format!("/etc/sundial/system/{name}"));
    let files = [LexedFile {
        path: path.clone(),
        lexed: lex(&path, text),
    }];
    let ctx = SpecifierContext::system();
    let zone = Zone::utc();
    let zones = BundledZones::new();
    let env = ParseEnv {
        specifiers: &ctx,
        local_zone: &zone,
        zones: &zones,
    };
    let mut diags = Vec::new();
    let unit_name = UnitName::parse(name).expect("valid unit name");
    match assemble(&unit_name, Some(&path), &files, &env, &mut diags) {
        Some(Unit::Service(s)) => std::sync::Arc::unwrap_or_clone(s),
        other => panic!("{name} did not load: {other:?} {diags:?}"),
    }
}

/// A supervisor with an in-memory log in its own temp dir.
pub struct Harness {
    pub sup: Supervisor,
    pub sink: MemorySink,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut SupervisorConfig)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = SupervisorConfig::new(dir.path().join("run"));
        // Tests run side by side in one process: leave each other's children alone.
        config.reap_strays = false;
        adjust(&mut config);
        let sink = MemorySink::default();
        let sup = Supervisor::new(config, Box::new(sink.clone())).expect("supervisor");
        Harness { sup, sink, dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn add(&mut self, name: &str, text: &str) {
        self.sup.add_unit(service(name, text));
    }

    pub fn status(&self, name: &str) -> ServiceStatus {
        self.sup.status(name).expect("unit is loaded")
    }

    pub fn sub(&self, name: &str) -> SubState {
        self.status(name).sub
    }

    pub fn active(&self, name: &str) -> ActiveState {
        self.status(name).active
    }

    /// Runs the supervisor until `name` is in `sub`, at most `ms` ms.
    pub async fn wait_sub(&mut self, name: &str, sub: SubState, ms: u64) {
        let ok = self
            .sup
            .run_until(Duration::from_millis(ms), |s| {
                s.status(name).is_some_and(|st| st.sub == sub)
            })
            .await;
        assert!(
            ok,
            "{name} did not reach {sub} within {ms} ms: {:?}\n{:#?}",
            self.sup.status(name),
            self.sink.messages_of(name)
        );
    }

    /// Runs until `cond` holds, at most `ms` ms.
    /// Conditions on files change without an event, so the supervisor runs
    /// in 10 ms slices between checks.
    pub async fn wait(
        &mut self,
        ms: u64,
        mut cond: impl FnMut(&Supervisor, &MemorySink) -> bool,
    ) -> bool {
        let sink = self.sink.clone();
        let until = std::time::Instant::now() + Duration::from_millis(ms);
        while std::time::Instant::now() < until {
            if self
                .sup
                .run_until(Duration::from_millis(10), |s| cond(s, &sink))
                .await
            {
                return true;
            }
        }
        cond(&self.sup, &sink)
    }

    /// Runs the supervisor for `ms` ms whatever happens.
    pub async fn run_for(&mut self, ms: u64) {
        self.sup
            .run_until(Duration::from_millis(ms), |_| false)
            .await;
    }

    pub fn lines(&self, name: &str) -> Vec<String> {
        self.sink.lines_of(name)
    }
}

/// Whether a process exists (zombies count as gone).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().to_owned())
        })
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

/// Reads a pid a test service wrote.
pub fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .expect("a pid")
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}
