//! Giving freed heap back to the kernel after loading units.
//!
//! Loading the search path allocates much more than it keeps: file texts,
//! lexed entries, the maps being built, the previous snapshot on
//! daemon-reload. glibc keeps the freed pages mapped (they are reused by
//! later allocations, but they count as the daemon's resident memory), so
//! after a load the daemon asks it to return every whole free page.

/// Returns free heap pages to the kernel. Takes a few milliseconds with
/// 100,000 units loaded; call it after start-up and daemon-reload only.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only walks glibc's own free
    // lists, under glibc's locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
