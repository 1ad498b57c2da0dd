/* Process-wide settings (include/personae/process.h). */
#include "personae/process.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void personae_tune_allocator(void) {
  if (getenv("GLIBC_TUNABLES")) return;
#if defined(__GLIBC__)
  /* Measured at 1M customers: `personae run` 2.3 s instead of 2.6-2.9 s,
   * system time 0.5 s instead of 1.2 s; at 100.9M rows `personae rfm`
   * resolves orders in 0.40 s instead of 0.66 s and reads its columns 0.1 s
   * faster. */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}
