/* Huge-page backed allocations (see huge_alloc.h). */
#include "core/huge_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define CACHE_LINE 64

void *pe_huge_alloc_from(size_t bytes, size_t huge_min) {
  if (bytes == 0) bytes = 1;
  if (bytes > SIZE_MAX - HUGE_PAGE_BYTES) return NULL;
  if (huge_min < HUGE_PAGE_BYTES) huge_min = HUGE_PAGE_BYTES;
  const int huge = bytes >= huge_min;
  const size_t rounded = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
  void *p = NULL;
  /* posix_memalign, not aligned_alloc: C11 wants aligned_alloc's size to be
   * a multiple of the alignment (glibc does not care, ASan aborts), and the
   * tail past the last whole 2 MiB page stays on small pages, so the huge
   * pages add no memory. */
  if (posix_memalign(&p, huge ? HUGE_PAGE_BYTES : CACHE_LINE, rounded) != 0) return NULL;
  if (huge) madvise(p, bytes & ~(HUGE_PAGE_BYTES - 1), MADV_HUGEPAGE);
  return p;
}

void *pe_huge_alloc(size_t bytes) {
  return pe_huge_alloc_from(bytes, HUGE_PAGE_BYTES);
}
