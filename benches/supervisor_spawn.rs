//! Spawn throughput: oneshot services running /bin/true, started, run and
//! reaped through the supervisor, next to a bare fork/exec/wait loop of
//! /bin/true in the same run.
//!
//! `cargo bench --bench supervisor_spawn [-- N]` prints the rates, with a
//! cgroup per run (where one can be made) and without.

use std::ffi::CString;
use std::time::{Duration, Instant};

use sundial::supervisor::SubState;
use sundial::supervisor::{LogRecord, LogSink, ManagerRecord};
use sundial::supervisor::{Supervisor, SupervisorConfig};
use sundial::unit::service::{ServiceType, StandardOutput};
use sundial::unit::{ExecCommand, ServiceUnit, UnitName};

/// Keeps nothing: the benchmark measures the supervisor, not a store.
struct NullSink;

impl LogSink for NullSink {
    fn output(&mut self, _: LogRecord) {}
    fn manager(&mut self, _: ManagerRecord) {}
}

fn bare(n: u32) -> Duration {
    let path = CString::new("/bin/true").expect("no NUL");
    let argv = [path.as_ptr(), std::ptr::null()];
    let t0 = Instant::now();
    for _ in 0..n {
        // SAFETY: the child only calls execv and _exit.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::execv(path.as_ptr(), argv.as_ptr());
                libc::_exit(127);
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
    }
    t0.elapsed()
}

fn unit(output: Option<StandardOutput>) -> ServiceUnit {
    let mut u = ServiceUnit {
        name: UnitName::parse("true.service").expect("valid name"),
        source: Default::default(),
        unit: Default::default(),
        service: Default::default(),
        install: Default::default(),
    };
    u.service.service_type = ServiceType::Oneshot;
    u.service.exec_start = vec![ExecCommand::new(["/bin/true"])].into();
    u.service.process.standard_output = output;
    // Thousands of starts a second are the point here.
    u.unit.start_limit_interval = Some(sundial_calendar::Timespan::ZERO);
    u
}

async fn supervised(n: u32, output: Option<StandardOutput>, cgroups: bool) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = SupervisorConfig::new(dir.path().join("run"));
    config.cgroups = cgroups;
    let mut sup = Supervisor::new(config, Box::new(NullSink)).expect("supervisor");
    sup.add_unit(unit(output));
    let t0 = Instant::now();
    for _ in 0..n {
        sup.start("true.service").expect("start job");
        let done = sup
            .run_until(Duration::from_secs(5), |s| {
                s.status("true.service")
                    .is_some_and(|st| st.sub == SubState::Dead)
                    && s.is_settled()
            })
            .await;
        assert!(
            done,
            "a run did not finish: {:?}",
            sup.status("true.service")
        );
    }
    t0.elapsed()
}

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Warm up caches and the page cache of /bin/true.
    bare(100);
    rt.block_on(supervised(100, None, true));

    let rate = |d: Duration| f64::from(n) / d.as_secs_f64();
    let bare_rate = rate(bare(n));
    // Where a cgroup v2 tree is writable (root), each run has a cgroup made,
    // joined and removed; measured on both sides of the runs without.
    let captured = rate(rt.block_on(supervised(n, None, true)));
    let no_cgroups = rate(rt.block_on(supervised(n, None, false)));
    let null = rate(rt.block_on(supervised(n, Some(StandardOutput::Null), true)));
    let bare_again = rate(bare(n));
    println!("bare fork/exec/wait of /bin/true:         {bare_rate:8.0}/s (again after: {bare_again:.0}/s)");
    println!(
        "supervised oneshot, output captured:      {captured:8.0}/s ({:.0}% of bare)",
        100.0 * captured / bare_rate
    );
    println!(
        "supervised oneshot, StandardOutput=null:  {null:8.0}/s ({:.0}% of bare)",
        100.0 * null / bare_rate
    );
    println!(
        "supervised oneshot, captured, no cgroups: {no_cgroups:8.0}/s ({:.0}% of bare)",
        100.0 * no_cgroups / bare_rate
    );
}
