/* Memory for per-partition arrays that double as they fill (the features
 * pass's customer arrays): address space reserved once, so that a doubled
 * array keeps its address and reuses its pages (see table_space.c). (The
 * hash tables that once doubled here too now belong to the threads that
 * walk the partitions, core/reusable.h.) */
#ifndef PE_CORE_TABLE_SPACE_H
#define PE_CORE_TABLE_SPACE_H

#include <stddef.h>
#include <stdint.h>

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
void *pe_table_space_grow(pe_table_space *sp, void *table, size_t new_bytes, size_t reserve_bytes);

/* realloc for an array that lives in `sp`: grows it to `new_bytes` keeping
 * its first `old_bytes` (in place when the reservation holds them; else
 * moved, as pe_table_space_grow places it, and the old one released). The
 * bytes past old_bytes are not initialised. NULL when out of memory (the
 * array and sp are then unchanged). */
void *pe_table_space_extend(pe_table_space *sp, void *array, size_t old_bytes, size_t new_bytes,
                            size_t reserve_bytes);

/* Releases the table (a reservation or a heap block) and resets sp. */
void pe_table_space_release(pe_table_space *sp, void *table);

/* Bytes to reserve for a table of `elem`-byte entries that needs `need`
 * entries, in a pass where one partition's share is about `share` entries
 * and no table can need more than `all`: eight times the share (at least
 * 4096 entries, at most `all`), never less than `need`, a power of two of
 * entries. A table that outgrows it asks again with its new need. */
size_t pe_table_space_reserve(uint64_t share, uint64_t all, uint64_t need, size_t elem);

#endif
