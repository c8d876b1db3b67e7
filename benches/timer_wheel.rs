//! The timer wheel against a `BinaryHeap` with lazy cancellation, with
//! 1,000,000 pending timers: insert, cancel, next deadline, expiry, and the
//! bytes each pending timer costs.
//!
//! Deadlines are milliseconds spread uniformly over one day, as tokio's wheel
//! counts them, plus a microsecond variant (the scheduler's own resolution),
//! where cascades go deeper.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sundial::scheduler::wheel::{Handle, Tick, Wheel};

const TIMERS: usize = 1_000_000;

/// Counts live heap bytes, so that the memory figure is what the structures
/// really hold, not what their element types suggest.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The heap baseline: min-heap of (deadline, id), cancellation marks the id
/// and the entry is skipped when it reaches the top.
struct Heap {
    heap: BinaryHeap<Reverse<(Tick, u32)>>,
    cancelled: Vec<bool>,
}

impl Heap {
    fn new() -> Heap {
        Heap {
            heap: BinaryHeap::new(),
            cancelled: Vec::new(),
        }
    }
    fn insert(&mut self, deadline: Tick) -> u32 {
        let id = self.cancelled.len() as u32;
        self.cancelled.push(false);
        self.heap.push(Reverse((deadline, id)));
        id
    }
    fn cancel(&mut self, id: u32) {
        self.cancelled[id as usize] = true;
    }
    fn skip_cancelled(&mut self) {
        while let Some(Reverse((_, id))) = self.heap.peek() {
            if !self.cancelled[*id as usize] {
                break;
            }
            self.heap.pop();
        }
    }
    fn next_deadline(&mut self) -> Option<Tick> {
        self.skip_cancelled();
        self.heap.peek().map(|Reverse((d, _))| *d)
    }
    fn expire(&mut self, now: Tick, mut out: impl FnMut(u32)) {
        while let Some(&Reverse((d, id))) = self.heap.peek() {
            if d > now {
                break;
            }
            self.heap.pop();
            if !self.cancelled[id as usize] {
                out(id);
            }
        }
    }
}

/// Deterministic pseudo-random deadlines in `[0, span)`.
fn deadlines(span: u64) -> Vec<Tick> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..TIMERS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % span
        })
        .collect()
}

/// A fixed shuffle of `0..TIMERS`, the order in which timers get cancelled.
fn shuffled() -> Vec<usize> {
    let mut order: Vec<usize> = (0..TIMERS).collect();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

fn filled_wheel(ds: &[Tick]) -> (Wheel<u32>, Vec<Handle>) {
    let mut wheel = Wheel::new(0);
    let handles = ds
        .iter()
        .enumerate()
        .map(|(i, &d)| wheel.insert(d, i as u32))
        .collect();
    (wheel, handles)
}

fn filled_heap(ds: &[Tick]) -> Heap {
    let mut heap = Heap::new();
    for &d in ds {
        heap.insert(d);
    }
    heap
}

fn report_memory(label: &str, ds: &[Tick]) {
    let before = LIVE.load(Ordering::Relaxed);
    let (wheel, handles) = filled_wheel(ds);
    let wheel_live = LIVE.load(Ordering::Relaxed) - before;
    let handle_bytes = handles.capacity() * std::mem::size_of::<Handle>();
    let wheel_bytes = wheel_live as usize - handle_bytes;
    drop(handles);
    let own = wheel.heap_bytes();
    drop(wheel);
    let before = LIVE.load(Ordering::Relaxed);
    let heap = filled_heap(ds);
    let heap_bytes = (LIVE.load(Ordering::Relaxed) - before) as usize;
    drop(heap);
    println!(
        "memory/{label}: wheel {:.1} B per pending timer ({:.1} by its own accounting), \
         heap {:.1} B per pending timer",
        wheel_bytes as f64 / TIMERS as f64,
        own as f64 / TIMERS as f64,
        heap_bytes as f64 / TIMERS as f64,
    );
}

fn bench_resolution(c: &mut Criterion, label: &str, span: u64, step: u64) {
    let ds = deadlines(span);
    let order = shuffled();
    report_memory(label, &ds);

    let mut group = c.benchmark_group(format!("timer_wheel/{label}"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(TIMERS as u64));

    group.bench_function("insert/wheel", |b| {
        b.iter_batched(
            || Wheel::<u32>::new(0),
            |mut wheel| {
                for (i, &d) in ds.iter().enumerate() {
                    black_box(wheel.insert(d, i as u32));
                }
                wheel
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("insert/heap", |b| {
        b.iter_batched(
            Heap::new,
            |mut heap| {
                for &d in &ds {
                    black_box(heap.insert(d));
                }
                heap
            },
            BatchSize::LargeInput,
        )
    });

    group.bench_function("cancel/wheel", |b| {
        b.iter_batched(
            || filled_wheel(&ds),
            |(mut wheel, handles)| {
                for &i in &order {
                    black_box(wheel.cancel(handles[i]));
                }
                wheel
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("cancel/heap", |b| {
        // Lazy cancellation: the real cost is paid when the entry surfaces,
        // so the heap is drained here too, and the wheel figure above is
        // the whole cost.
        b.iter_batched(
            || filled_heap(&ds),
            |mut heap| {
                for &i in &order {
                    heap.cancel(i as u32);
                }
                black_box(heap.next_deadline());
                heap
            },
            BatchSize::LargeInput,
        )
    });

    // The daemon's loop: ask for the next deadline, sleep until it, expire.
    group.bench_function("next_deadline+expire/wheel", |b| {
        b.iter_batched(
            || filled_wheel(&ds).0,
            |mut wheel| {
                while let Some(d) = wheel.next_deadline() {
                    wheel.expire(d, |_, _, id| {
                        black_box(id);
                    });
                }
                wheel
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("next_deadline+expire/heap", |b| {
        b.iter_batched(
            || filled_heap(&ds),
            |mut heap| {
                while let Some(d) = heap.next_deadline() {
                    heap.expire(d, |id| {
                        black_box(id);
                    });
                }
                heap
            },
            BatchSize::LargeInput,
        )
    });

    // The target figure: insert everything, then expire it in steps of one
    // second of the clock.
    group.bench_function("insert+expire/wheel", |b| {
        b.iter(|| {
            let mut wheel = Wheel::new(0);
            for (i, &d) in ds.iter().enumerate() {
                wheel.insert(d, i as u32);
            }
            let mut now = 0;
            while !wheel.is_empty() {
                now += step;
                wheel.expire(now, |_, _, id| {
                    black_box(id);
                });
            }
        })
    });
    group.bench_function("insert+expire/heap", |b| {
        b.iter(|| {
            let mut heap = Heap::new();
            for &d in &ds {
                heap.insert(d);
            }
            let mut now = 0;
            while !heap.heap.is_empty() {
                now += step;
                heap.expire(now, |id| {
                    black_box(id);
                });
            }
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    // One day in milliseconds, expired one second at a time.
    bench_resolution(c, "ms", 86_400_000, 1_000);
    // One day in microseconds, expired one second at a time.
    bench_resolution(c, "us", 86_400_000_000, 1_000_000);
}

criterion_group!(timer_wheel, benches);
criterion_main!(timer_wheel);
