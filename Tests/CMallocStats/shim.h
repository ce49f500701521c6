#ifndef RALLY_CMALLOCSTATS_SHIM_H
#define RALLY_CMALLOCSTATS_SHIM_H
#include <malloc.h>
#include <stddef.h>

/// Bytes the process holds in malloc'd blocks: allocated in every arena plus the large blocks glibc mapped on their
/// own. Freed memory the allocator keeps cached, fragmentation and other mappings do not count.
static inline size_t rally_malloc_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#endif
