//! Log-line insertion throughput of the state store, by batch size.
//!
//! A batch is one transaction (`Store::append_logs`); batch size 1 is what a
//! naive "insert each line as it arrives" daemon would do. The file lives in the
//! temp dir, so figures depend on that file system's fsync cost.
//!
//! Each batch size runs twice: with SQLite's own checkpoints inside the
//! commits (`inline`, what a store opened by a tool does), and with the
//! daemon's background sync thread doing the fsyncs and checkpoints
//! (`background`), which is what the event loop pays per batch.
//!
//! `cargo bench --bench store_logs`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sundial::store::{InvocationId, LogRetention, NewLogLine, Store, Stream};
use sundial_calendar::Timestamp;

/// A typical service line: a timestamped message of about 80 bytes.
const LINE: &str = "2024-05-01T12:00:00Z backup: copied 1532 files (48.2 MiB) to /srv/backup/daily";

fn append(c: &mut Criterion) {
    for background in [false, true] {
        append_with(c, background);
    }
}

fn append_with(c: &mut Criterion, background: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("state.db")).expect("open store");
    if background {
        store.sync_in_background().expect("start the sync thread");
    }
    // Bounded, so that the table stays the same size across iterations and the
    // figures include the pruning a long-running daemon does.
    store.set_log_retention(LogRetention {
        max_rows: Some(200_000),
        ..LogRetention::default()
    });
    let invocation = InvocationId::from_u128(0x5eed);
    let mut group = c.benchmark_group(if background {
        "store_append_logs/background"
    } else {
        "store_append_logs/inline"
    });
    group.measurement_time(Duration::from_secs(5));
    for batch_size in [1usize, 16, 256, 4096] {
        let batch: Vec<NewLogLine<'_>> = (0..batch_size)
            .map(|n| NewLogLine {
                unit: "backup.service",
                invocation: Some(invocation),
                stream: if n % 10 == 0 {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                },
                at: Timestamp::from_secs(1_714_564_800),
                line: LINE,
                priority: sundial::unit::SyslogLevel::Info,
            })
            .collect();
        group.throughput(Throughput::Elements(batch_size as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(batch_size),
            &batch,
            |b, batch| {
                b.iter(|| store.append_logs(batch).expect("append"));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
