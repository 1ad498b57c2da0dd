/* A customer index: maps arbitrary int64 customer ids to dense indices
 * 0..C-1 in ascending id order, built by streaming, in parallel, without
 * sorting the input.
 *
 * Layout. Ids are hashed and split into PE_CIX_PARTITIONS partitions by the
 * top bits of the hash. Each partition owns an open-addressing table and a
 * list of its ids in order of first appearance (its "local slots"). A
 * partition is only ever touched by one thread at a time, and rows reach it in
 * row order, so local slots — and anything a caller accumulates per slot — do
 * not depend on the thread count. With ~40 thousand customers per partition at
 * 10 million customers, a partition's table stays in cache while its rows are
 * processed.
 *
 * Two ways to use it:
 *   1. One pass (what the features step does): group a chunk of rows by
 *      partition with pe_cix_plan_build(), then per partition call
 *      pe_cix_upsert() and keep per-slot aggregates beside the index; after
 *      the last chunk, pe_customer_index_finish() assigns dense indices, and
 *      pe_customer_index_order() maps them to (partition, slot). (RFM
 *      keeps its customers in its own tables during the pass and hands each
 *      partition's ids over in bulk when it is done, pe_cix_reserve_ids().)
 *   2. Two passes (a join): pe_customer_index_add() every id column, then
 *      finish, then pe_customer_index_lookup() each chunk to dense indices and
 *      accumulate into plain arrays of length C. */
#ifndef PE_RFM_CUSTOMER_INDEX_H
#define PE_RFM_CUSTOMER_INDEX_H

#include <assert.h>
#include <stdint.h>

#include "personae/status.h"

/* 512 partitions: at 100M rows over 9.5M customers a partition's RFM tables
 * are then about 3.5 MB, so that the two threads' tables, swept into the
 * caches before their rows (partitioned_pass.h, `warm`), fit this VM's
 * share of L3 together (group-by 3.08-3.18 -> 2.80-2.85 s against 256;
 * 1M-customer `personae run` and 100M-row `personae features` unchanged
 * within noise). */
#define PE_CIX_PARTITION_BITS 9
#define PE_CIX_PARTITIONS (1 << PE_CIX_PARTITION_BITS)
/* Rows per block when grouping a chunk: blocks are fixed so the grouping (and
 * everything downstream) is identical for every thread count. */
#define PE_CIX_BLOCK_ROWS 65536

/* splitmix64's finaliser: a bijection on 64 bits, so distinct ids have
 * distinct hashes, and sequential ids spread evenly over partitions. */
static inline uint64_t pe_cix_hash(int64_t id) {
  uint64_t z = (uint64_t)id + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline unsigned pe_cix_partition_of(uint64_t hash) {
  return (unsigned)(hash >> (64 - PE_CIX_PARTITION_BITS));
}

typedef struct {
  int64_t id;
  uint32_t slot_plus_one; /* 0 = empty */
  uint32_t pad;
} pe_cix_entry;

typedef struct {
  pe_cix_entry *table; /* capacity mask + 1 entries, power of two */
  uint64_t mask;
  int64_t *ids; /* local slot -> id, in order of first appearance */
  int64_t count, ids_cap;
  int64_t *dense; /* local slot -> dense index, after finish */
} pe_cix_partition;

typedef struct pe_customer_index {
  pe_cix_partition part[PE_CIX_PARTITIONS];
  int64_t count;       /* distinct ids */
  int64_t *sorted_ids; /* ascending, after finish */
  uint64_t *order;     /* dense index -> partition << 32 | local slot, after finish */
  int finished;
} pe_customer_index;

pe_status pe_customer_index_create(pe_customer_index **out);
/* NULL is a no-op. */
void pe_customer_index_free(pe_customer_index *ix);

/* A partition's first id-list capacity; its table starts at twice that. */
#define PE_CIX_FIRST_IDS 128

/* Grows a partition's table or id list; the slow path of pe_cix_upsert(). */
pe_status pe_cix_grow(pe_cix_partition *p);

/* Finds `id` (whose hash is `hash`) in partition `p`, inserting it if new, and
 * writes its local slot. The caller must hold `p` exclusively. Returns
 * PE_ERR_NOMEM only if growing the table fails (no message is recorded, so it
 * is safe to call from worker threads). */
static inline pe_status pe_cix_upsert(pe_cix_partition *p, int64_t id, uint64_t hash,
                                      int64_t *slot) {
  if ((p->count + 1) * 4 > (int64_t)(p->mask + 1) * 3 || p->count == p->ids_cap)
    if (pe_cix_grow(p) != PE_OK) return PE_ERR_NOMEM;
  uint64_t pos = hash & p->mask;
  for (;;) {
    pe_cix_entry *e = &p->table[pos];
    if (e->slot_plus_one == 0) {
      e->id = id;
      e->slot_plus_one = (uint32_t)(p->count + 1);
      p->ids[p->count] = id;
      *slot = p->count++;
      return PE_OK;
    }
    if (e->id == id) {
      *slot = (int64_t)e->slot_plus_one - 1;
      return PE_OK;
    }
    pos = (pos + 1) & p->mask;
  }
}

/* Gives the empty partition room for `count` ids and no table; the ids are
 * then appended with pe_cix_append(), at most `count`, each a new one. The
 * table is built only when an insert needs it (pe_cix_upsert, from the ids
 * in slot order): a partition filled once, in bulk, that nothing inserts
 * into afterwards never pays for one (RFM without /sessions: 267 MB of
 * tables at 9.5M customers). Lookups in it scan its ids before
 * pe_customer_index_finish and search the sorted ids after. PE_ERR_USAGE
 * when the partition is not empty; PE_ERR_NOMEM without a message. */
pe_status pe_cix_reserve_ids(pe_cix_partition *p, int64_t count);

static inline int64_t pe_cix_append(pe_cix_partition *p, int64_t id) {
  assert(p->count < p->ids_cap && !p->table);
  p->ids[p->count] = id;
  return p->count++;
}

/* Finds `id` in partition `p`: its local slot, or -1. */
static inline int64_t pe_cix_find_slot(const pe_cix_partition *p, int64_t id, uint64_t hash) {
  if (!p->table) { /* none yet (pe_cix_reserve_ids): the ids themselves */
    for (int64_t s = 0; s < p->count; s++)
      if (p->ids[s] == id) return s;
    return -1;
  }
  uint64_t pos = hash & p->mask;
  for (;;) {
    const pe_cix_entry *e = &p->table[pos];
    if (e->slot_plus_one == 0) return -1;
    if (e->id == id) return (int64_t)e->slot_plus_one - 1;
    pos = (pos + 1) & p->mask;
  }
}

/* A chunk of rows grouped by partition, stably (rows of a partition keep
 * their order). Block b's rows of partition p go to positions starting at
 * start[b * PE_CIX_PARTITIONS + p]; partition p spans [offset[p], offset[p+1]). */
typedef struct {
  int64_t rows, blocks;
  int64_t *start;
  int64_t offset[PE_CIX_PARTITIONS + 1];
} pe_cix_plan;

/* Builds the grouping plan from each row's partition (parallel over
 * blocks). The plan's buffer is reused across calls; free it with
 * pe_cix_plan_free(). (Partitions rather than hashes: 2 bytes a row to
 * write and read back twice instead of 8.) */
_Static_assert(PE_CIX_PARTITIONS <= 65536, "partitions must fit uint16_t");
pe_status pe_cix_plan_build(const uint16_t *part, int64_t rows, pe_cix_plan *plan);
void pe_cix_plan_free(pe_cix_plan *plan);

/* Adds every id of a chunk (parallel over partitions). Before finish only. */
pe_status pe_customer_index_add(pe_customer_index *ix, const int64_t *ids, int64_t n);

/* Streams an int64 id column of an HDF5 file into the index. `fid` is an
 * hid_t passed as int64_t to keep hdf5.h out of this header. */
pe_status pe_customer_index_add_column(pe_customer_index *ix, int64_t fid, const char *file,
                                       const char *path, int64_t chunk_rows);

/* Sorts the distinct ids and assigns dense indices in ascending id order.
 * After this, no more ids can be added. */
pe_status pe_customer_index_finish(pe_customer_index *ix);

int64_t pe_customer_index_count(const pe_customer_index *ix);
/* The ids in ascending order (dense index -> id); after finish. */
const int64_t *pe_customer_index_ids(const pe_customer_index *ix);

/* Where each dense index lives: partition << 32 | local slot, for
 * customers 0..count-1 in ascending id order; after finish. Lets a caller
 * fill per-customer arrays in dense order (sequential writes) from its
 * per-partition slot arrays. */
static inline const uint64_t *pe_customer_index_order(const pe_customer_index *ix) {
  return ix->order;
}

/* Dense index of `id`, or -1 if the index does not hold it; after finish. */
int64_t pe_customer_index_find(const pe_customer_index *ix, int64_t id);

/* Dense indices of n ids (-1 where absent), parallel; after finish. */
void pe_customer_index_lookup(const pe_customer_index *ix, const int64_t *ids, int64_t n,
                              int64_t *dense);

#endif
