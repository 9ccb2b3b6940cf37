//! The memory allocator: jemalloc, which gives freed memory back to the system.

/// jemalloc instead of glibc's malloc: glibc keeps what is freed in the middle of its heap, so a
/// server grown by a crowd of connections stayed grown after the crowd left (RELIABILITY.md,
/// adversarial soak).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Starts jemalloc's background thread, which gives freed pages back to the system about ten
/// seconds after they were freed even while the process allocates little (an idle server).
pub fn return_freed_memory_in_background() {
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!("freed memory is returned only as the server allocates: {e}");
    }
}
