/* Memory for large arrays that are streamed or probed over and over (the
 * k-means data matrix, the RFM group-by's tables and grouped rows). */
#ifndef PE_HUGE_ALLOC_H
#define PE_HUGE_ALLOC_H

#include <stddef.h>

/* `bytes` (uninitialised; at least 1) that free() releases. Arrays of 2 MiB
 * or more are 2 MiB-aligned and their whole 2 MiB pages offered to the
 * kernel as transparent huge pages (Debian's default THP mode, "madvise",
 * gives them only to regions that ask): one TLB entry and one page fault
 * per 512 small pages, and physically contiguous 2 MiB runs whatever state
 * earlier processes left the free memory in. Measured on a k-means pass over
 * a 32 MB matrix: 1.45 ms on 4 KiB pages right after boot, 2.25 ms once the
 * free memory was fragmented; huge pages give the fast figure either way.
 * Only whole pages are advised, so no memory is added. Smaller arrays come
 * 64-byte aligned. NULL when out of memory. */
void *pe_huge_alloc(size_t bytes);

/* The same with huge pages only from `huge_min` bytes up (at least 2 MiB):
 * for many tables of a few MiB each, where 2 MiB pages that end up mostly
 * empty would add to the peak. */
void *pe_huge_alloc_from(size_t bytes, size_t huge_min);

#endif
