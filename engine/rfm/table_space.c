/* Hash-table memory that grows in place (see table_space.h).
 *
 * A table that doubles by allocating the bigger table and freeing the old
 * one makes the process touch about twice the final table's memory, and on
 * a VM whose fresh pages cost a host fault that churn cost more than the
 * rehashing (at 100M rows, personae rfm median 10.89 -> 9.19 s once the
 * order tables grew in place). Here the table keeps its address: the
 * reservation is made with MAP_NORESERVE, so only the pages the table
 * reaches are ever backed, and a doubling reuses the first half's pages.
 * Under vm.overcommit_memory = 2, where MAP_NORESERVE is ignored and a
 * reservation would be charged in full, and wherever one fails, tables live
 * on the heap. Reservations are 2 MiB-aligned; a table's whole 2 MiB pages
 * are offered as transparent huge pages once it reaches 4 MiB. */
#include "rfm/table_space.h"

#include "core/huge_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define HUGE_TABLE_MIN ((size_t)4 << 20)

static int strict_overcommit(void) {
  static int strict = -1; /* read once; a race only reads it twice */
  if (strict < 0) {
    int mode = 0;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    if (f) {
      if (fscanf(f, "%d", &mode) != 1) mode = 0;
      fclose(f);
    }
    strict = mode == 2;
  }
  return strict;
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

void *pe_table_space_grow(pe_table_space *sp, void *table, size_t new_bytes,
                          size_t reserve_bytes) {
  if (table && sp->map && new_bytes <= sp->room) {
    advise(table, new_bytes);
    return table;
  }
  if (table) pe_table_space_release(sp, table);
  if (reserve_bytes < new_bytes) reserve_bytes = new_bytes;
  if (!strict_overcommit() && reserve_bytes <= SIZE_MAX - HUGE_PAGE_BYTES) {
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
