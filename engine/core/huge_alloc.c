/* Huge-page backed allocations (see huge_alloc.h). */
#include "core/huge_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define CACHE_LINE 64

void *pe_huge_alloc(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t align = bytes < HUGE_PAGE_BYTES ? CACHE_LINE : HUGE_PAGE_BYTES;
  /* aligned_alloc wants a multiple of the alignment. */
  if (bytes > SIZE_MAX - align) return NULL;
  const size_t rounded = (bytes + align - 1) / align * align;
  void *p = aligned_alloc(align, rounded);
  if (p && align == HUGE_PAGE_BYTES) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}
