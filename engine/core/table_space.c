/* Table memory that grows in place (see table_space.h).
 *
 * A table that doubles by allocating the bigger table and freeing the old
 * one makes the process touch about twice the final table's memory, and on
 * a VM whose fresh pages cost a host fault that churn cost more than the
 * rehashing (at 100M rows, personae rfm median 10.89 -> 9.19 s once the
 * order tables grew in place). Here the table keeps its address: the
 * reservation is made with MAP_NORESERVE, so only the pages the table
 * reaches are ever backed, and a doubling reuses the first half's pages.
 * Under vm.overcommit_memory = 2, where MAP_NORESERVE is ignored and a
 * reservation would be charged in full, under an address-space or data
 * limit, and wherever one fails, tables live on the heap. Reservations are
 * 2 MiB-aligned; a table's whole 2 MiB pages are offered as transparent
 * huge pages once it reaches 4 MiB. */
#include "core/table_space.h"

#include "core/huge_alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define HUGE_TABLE_MIN ((size_t)4 << 20)

/* Whether reservations may be made. Not under vm.overcommit_memory = 2,
 * where MAP_NORESERVE is ignored and a reservation is charged in full, and
 * not under a finite address-space or data limit (ulimit -v, ulimit -d),
 * which reservations count against although they are not backed: they
 * would use up the room the process's real allocations need. Decided once,
 * by whichever thread asks first (an atomic, so concurrent first calls are
 * defined). */
static int reservations_allowed(void) {
  static _Atomic int allowed = -1;
  int a = atomic_load(&allowed);
  if (a < 0) {
    int mode = 0;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    if (f) {
      if (fscanf(f, "%d", &mode) != 1) mode = 0;
      fclose(f);
    }
    struct rlimit as, data;
    const int limited = (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) ||
                        (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY);
    a = mode != 2 && !limited;
    atomic_store(&allowed, a);
  }
  return a;
}

static void *base_of(const pe_table_space *sp) {
  return (void *)(((uintptr_t)sp->map + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1));
}

static void advise(void *table, size_t bytes) {
  if (bytes >= HUGE_TABLE_MIN) madvise(table, bytes & ~(HUGE_PAGE_BYTES - 1), MADV_HUGEPAGE);
}

void pe_table_space_release(pe_table_space *sp, void *table) {
  if (sp->map)
    munmap(sp->map, sp->map_bytes);
  else
    free(table);
  *sp = (pe_table_space){NULL, 0, 0};
}

void *pe_table_space_grow(pe_table_space *sp, void *table, size_t new_bytes, size_t reserve_bytes) {
  if (table && sp->map && new_bytes <= sp->room) {
    advise(table, new_bytes);
    return table;
  }
  if (table) pe_table_space_release(sp, table);
  if (reserve_bytes < new_bytes) reserve_bytes = new_bytes;
  if (reservations_allowed() && reserve_bytes <= SIZE_MAX - HUGE_PAGE_BYTES) {
    const size_t bytes = reserve_bytes + HUGE_PAGE_BYTES;
    void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map != MAP_FAILED) {
      *sp = (pe_table_space){map, bytes, reserve_bytes};
      void *t = base_of(sp);
      advise(t, new_bytes);
      return t;
    }
  }
  /* The heap, as the other tables: huge pages from 4 MiB up. */
  return pe_huge_alloc_from(new_bytes, HUGE_TABLE_MIN);
}

void *pe_table_space_extend(pe_table_space *sp, void *array, size_t old_bytes, size_t new_bytes,
                            size_t reserve_bytes) {
  if (array && sp->map && new_bytes <= sp->room) {
    advise(array, new_bytes);
    return array;
  }
  /* A new place first, then the move: the array survives a failure. */
  pe_table_space moved = {NULL, 0, 0};
  void *to = pe_table_space_grow(&moved, NULL, new_bytes, reserve_bytes);
  if (!to) return NULL;
  if (array) {
    memcpy(to, array, old_bytes);
    pe_table_space_release(sp, array);
  }
  *sp = moved;
  return to;
}

size_t pe_table_space_reserve(uint64_t share, uint64_t all, uint64_t need, size_t elem) {
  const uint64_t want_share = share > UINT64_MAX / 8 ? UINT64_MAX : share * 8;
  uint64_t want = 4096;
  while (((want < want_share && want < all) || want < need) && want < ((uint64_t)1 << 40))
    want *= 2;
  return (size_t)want * elem;
}
