/* Memory for the RFM group-by's hash tables, which double as they fill:
 * address space reserved once, so that a doubled table reuses the pages of
 * the table it replaces (see table_space.c). */
#ifndef PE_RFM_TABLE_SPACE_H
#define PE_RFM_TABLE_SPACE_H

#include <stddef.h>

typedef struct {
  void *map;        /* the reservation; NULL: the table lives on the heap */
  size_t map_bytes; /* its length */
  size_t room;      /* bytes of table it holds from its 2 MiB-aligned start */
} pe_table_space;

/* Memory for the table's next size, `new_bytes` (not initialised): the same
 * place when the reservation holds them; else a new reservation of
 * `reserve_bytes` (at least new_bytes; a moved table reserves room to grow),
 * or the heap where none can be made. `table` is the current table (NULL the
 * first time); its content must already be copied out, since it may be
 * released. NULL when out of memory (the old table is then released too). */
void *pe_table_space_grow(pe_table_space *sp, void *table, size_t new_bytes,
                          size_t reserve_bytes);

/* Releases the table (a reservation or a heap block) and resets sp. */
void pe_table_space_release(pe_table_space *sp, void *table);

#endif
