//! A cache hint: asking for memory the solver is about to read, so that the load overlaps
//! other work instead of stalling it.

/// Asks the CPU to bring the cache line holding `address` into all cache levels. A hint only:
/// it never faults, whatever the address, and does nothing on targets without one.
#[inline(always)]
pub(crate) fn prefetch<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 CPU, and `prefetcht0` has no other requirement:
        // it does not access memory architecturally, so no address (dangling or unmapped) can
        // make it fault.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(address.cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
