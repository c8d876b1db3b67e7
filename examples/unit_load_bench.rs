//! Loads 10,000 generated unit files (5,000 timer/service pairs, some with
//! drop-ins and template instances) and prints how long it took.
//!
//! ```text
//! $ cargo run --release --example unit_load_bench
//! ```

use std::fs;
use std::path::Path;
use std::time::Instant;

use sundial::unit::{load_all, LoadContext, SearchPath, SpecifierContext};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

const PAIRS: usize = 5_000;

fn generate(dir: &Path) -> std::io::Result<()> {
    let schedules = [
        "daily",
        "Mon..Fri 09:00 Europe/Berlin",
        "*:0/15",
        "*-*-1 03:30",
        "weekly",
    ];
    for i in 0..PAIRS {
        let timer = if i % 3 == 0 {
            format!(
                "[Unit]\nDescription=Job {i}\n\n[Timer]\nOnBootSec={}min\nOnUnitActiveSec=1h\nRandomizedDelaySec=30s\n\n[Install]\nWantedBy=timers.target\n",
                i % 60 + 1
            )
        } else {
            format!(
                "[Unit]\nDescription=Job {i}\n\n[Timer]\nOnCalendar={}\nPersistent=true\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n",
                schedules[i % schedules.len()]
            )
        };
        let service = format!(
            "[Unit]\nDescription=Job {i} (%n)\nAfter=network.target\n\n[Service]\nType=oneshot\n\
             ExecStart=/bin/sh -c 'echo \"job {i}\" && sleep 0'\nExecStartPost=-/bin/true\n\
             Environment=\"JOB={i}\" \"NAME=%N\"\nWorkingDirectory=/tmp\nTimeoutStartSec=5min\n\
             # a comment\nNice=5\n"
        );
        fs::write(dir.join(format!("job-{i}.timer")), timer)?;
        fs::write(dir.join(format!("job-{i}.service")), service)?;
        if i % 50 == 0 {
            let d = dir.join(format!("job-{i}.service.d"));
            fs::create_dir(&d)?;
            fs::write(d.join("override.conf"), "[Service]\nNice=1\n")?;
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let tmp = tempfile::tempdir()?;
    generate(tmp.path())?;
    let zones = BundledZones::new();
    let cx = LoadContext {
        search_path: SearchPath::build(&[tmp.path().to_path_buf()], None, Vec::new()),
        specifiers: SpecifierContext::system(),
        local_zone: Zone::utc(),
        zones: &zones,
    };
    // A first load warms the page cache and the zone cache; the second is
    // the one measured, as a daemon-reload would see it.
    let _ = load_all(&cx);
    let start = Instant::now();
    let loaded = load_all(&cx);
    let elapsed = start.elapsed();
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    println!(
        "loaded {} units ({} timers, {} services) from {} files in {:.1} ms, {} errors",
        loaded.units.len(),
        loaded.timers().count(),
        loaded.services().count(),
        2 * PAIRS,
        elapsed.as_secs_f64() * 1000.0,
        errors
    );
    Ok(())
}
