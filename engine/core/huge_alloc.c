/* Huge-page backed allocations (see huge_alloc.h). */
#include "core/huge_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define CACHE_LINE 64

void *pe_huge_alloc(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes > SIZE_MAX - HUGE_PAGE_BYTES) return NULL;
  const size_t rounded = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
  void *p = NULL;
  /* posix_memalign, not aligned_alloc: C11 wants aligned_alloc's size to be
   * a multiple of the alignment (glibc does not care, ASan aborts), and the
   * tail past the last whole 2 MiB page stays on small pages, so the huge
   * pages add no memory. */
  if (posix_memalign(&p, bytes < HUGE_PAGE_BYTES ? CACHE_LINE : HUGE_PAGE_BYTES, rounded) != 0)
    return NULL;
  if (bytes >= HUGE_PAGE_BYTES) madvise(p, bytes & ~(HUGE_PAGE_BYTES - 1), MADV_HUGEPAGE);
  return p;
}
