/* Memory for the group-by passes' per-partition tables and arrays, which
 * double as they fill (RFM, features): address space reserved once, so that
 * a doubled table reuses the pages of the table it replaces (see
 * table_space.c). */
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

/* Per-thread temporaries for a table's entries while it doubles in place
 * (pe_table_space_rehash: copied out, the table cleared, the entries
 * reinserted), kept from one doubling to the next: a fresh temporary per doubling would make the
 * process touch about as much new memory again as the tables themselves. */
typedef struct {
  void *p;
  size_t cap;
} pe_table_scratch;

/* One slot per thread that a parallel region of the calling code can have
 * (omp_get_max_threads()); *slots gets the count. NULL when out of memory. */
pe_table_scratch *pe_table_scratch_create(int *slots);
/* Frees the temporaries (the slots stay usable); pe_table_scratch_free also
 * the slots. NULL is a no-op for both. */
void pe_table_scratch_trim(pe_table_scratch *s, int slots);
void pe_table_scratch_free(pe_table_scratch *s, int slots);

/* Copies `bytes` of `table` into the calling thread's temporary, or when the
 * thread has no slot (a team larger than counted) into a one-off block
 * returned in *one_off for the caller to free. NULL when out of memory. */
void *pe_table_copy_out(pe_table_scratch *s, int slots, const void *table, size_t bytes,
                        void **one_off);

/* Doubles a hash table that lives in `sp`: its `old_bytes` are copied out
 * (pe_table_copy_out; *one_off, if set, is the caller's to free), the table
 * grows to `new_bytes` as pe_table_space_grow places it, and is zeroed; *old
 * points at the copy, for the caller to reinsert. NULL when out of memory:
 * the table is then released and *one_off already freed. */
void *pe_table_space_rehash(pe_table_space *sp, void *table, size_t old_bytes, size_t new_bytes,
                            size_t reserve_bytes, pe_table_scratch *s, int slots, const void **old,
                            void **one_off);

/* Prefetches every cache line of [p, p + bytes), for writing: a sequential
 * sweep the memory system streams at its bandwidth, so that a table the
 * caller is about to probe at random is in the caches when the probes come. */
#define PE_CACHE_LINE_BYTES 64
static inline void pe_prefetch_lines(const void *p, size_t bytes) {
  const char *c = p;
  for (size_t i = 0; i < bytes; i += PE_CACHE_LINE_BYTES) __builtin_prefetch(c + i, 1, 3);
}

#endif
