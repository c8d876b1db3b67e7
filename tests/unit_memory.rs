//! What a loaded unit costs: the issue-14 shape (calendar timers with
//! `Persistent=true` and their oneshot services, half of the timers linked
//! into `timers.target.wants/`) loaded from a real directory, its live heap
//! counted by a counting global allocator. A daemon keeps every loaded unit
//! for its life, so a field that makes them grow back fails here.

// Test helpers may panic: a failure is the test's verdict.
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicIsize, Ordering};

use sundial::unit::{load_all, LoadContext, SearchPath, SpecifierContext, Unit};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::Zone;

/// The system allocator, counting the bytes held.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call goes to `System` with the caller's own arguments; the
// counter only adds and subtracts the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAIRS: usize = 2_000;

/// The bench's persistent-half shape (benches/daemon_load.rs).
fn write_units(dir: &Path) {
    let wants = dir.join("timers.target.wants");
    fs::create_dir_all(&wants).unwrap();
    let service = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n";
    for i in 0..PAIRS {
        let name = format!("idle{i:06}");
        let timer = dir.join(format!("{name}.timer"));
        fs::write(
            &timer,
            format!(
                "[Timer]\nOnCalendar=*-*-* {:02}:{:02}:00 UTC\nPersistent=true\n[Install]\nWantedBy=timers.target\n",
                i % 24,
                i % 60
            ),
        )
        .unwrap();
        fs::write(dir.join(format!("{name}.service")), service).unwrap();
        if i % 2 == 0 {
            symlink(&timer, wants.join(format!("{name}.timer"))).unwrap();
        }
    }
}

#[test]
fn a_loaded_pair_costs_little_more_than_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    write_units(tmp.path());
    let zones = BundledZones::new();
    let cx = LoadContext {
        search_path: SearchPath::build(&[tmp.path().to_path_buf()], None, Vec::new()),
        specifiers: SpecifierContext::system(),
        local_zone: Zone::utc(),
        zones: &zones,
    };
    let before = HELD.load(Ordering::Relaxed);
    let loaded = load_all(&cx);
    let held = HELD.load(Ordering::Relaxed) - before;
    let per_pair = held / PAIRS as isize;
    eprintln!("unit_memory: {PAIRS} pairs loaded hold {held} bytes, {per_pair} a pair");
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);

    // Equal names share one text: a timer's Unit= and its service's name,
    // WantedBy=timers.target across the timers.
    let timer = |i: usize| match loaded.get(&format!("idle{i:06}.timer")) {
        Some(Unit::Timer(t)) => t.clone(),
        other => panic!("not a timer: {other:?}"),
    };
    let Some(Unit::Service(service)) = loaded.get("idle000007.service") else {
        panic!("idle000007.service not loaded");
    };
    assert!(timer(7).triggers.shares_text_with(&service.name));
    assert!(timer(3).install.wanted_by[0].shares_text_with(&timer(4).install.wanted_by[0]));
    let key = loaded
        .units
        .keys()
        .find(|k| k.as_str() == "idle000007.service")
        .unwrap();
    assert!(
        key.shares_text_with(&service.name),
        "the unit set's key is the unit's name"
    );

    // A oneshot that sets none of a sparse group's options holds no box
    // for it; the timer's [Unit] section neither.
    assert!(!service.service.process.is_boxed());
    assert!(!service.service.stop.is_boxed());
    assert!(!service.unit.dependencies.is_boxed());
    assert!(!service.unit.options.is_boxed());
    assert!(!timer(7).unit.options.is_boxed());

    // The parsed units, the unit set's map and the loader's diagnostics
    // bookkeeping, measured in bytes asked of the allocator (malloc adds
    // its own 8-16 bytes a block). 1,302 when this test was written.
    assert!(
        per_pair <= 1_400,
        "a timer+service pair holds {per_pair} bytes after loading, more than 1,400"
    );
}
