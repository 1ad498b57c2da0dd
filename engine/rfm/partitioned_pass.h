/* A streaming pass over a table grouped by customer: the chunk loop that the
 * RFM group-by and the two feature passes share.
 *
 * For each chunk of rows it reads the wanted columns, lets the caller check
 * them, hashes the customer ids, groups the rows by partition of the customer
 * index (customer_index.h) into the caller's fixed-size records, stably and in
 * fixed blocks, then hands each partition's records to the caller on one
 * thread, in row order. So whatever a caller accumulates per customer sees
 * its rows in file order, whatever the thread count. */
#ifndef PE_RFM_PARTITIONED_PASS_H
#define PE_RFM_PARTITIONED_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "io/h5.h"
#include "rfm/customer_index.h"

/* Wall seconds a pass spent in each part (pe_cix_pass_run adds to them):
 * reading and decompressing the columns, the caller's checks, hashing and
 * grouping rows by partition, and the per-partition processing. */
typedef struct {
  double read, check, group, process;
} pe_cix_pass_seconds;

/* One chunk as read: rows [offset, offset + rows) of the table. */
typedef struct {
  const void *col[16];  /* indexed like the table's columns; NULL where not read */
  const uint16_t *part; /* the partition of each row's customer id (pe_cix_partition_of) */
  int64_t offset, rows;
} pe_cix_chunk;

typedef struct {
  const pe_h5_table *table;
  const char *input; /* the file, for messages */
  const char *what;  /* "transactions": "FILE: out of memory grouping transactions" */
  unsigned columns;  /* bit i set: read table column i */
  int id_column;     /* the int64 customer id column; it must be among `columns` */
  size_t record_size;
  int64_t chunk_rows; /* rows per chunk (> 0) */
  int64_t batch_rows; /* rows per batch (see PE_CIX_BATCH_BYTES); 0: the default */
  void *ctx;          /* passed to every callback */
  /* Checks the chunk and returns its first bad row, or chunk->rows; the
   * lowest bad row must win whatever the thread count. May gather per-chunk
   * values into ctx. */
  int64_t (*check)(void *ctx, const pe_cix_chunk *chunk);
  /* Records the message for bad row `i` of the chunk and returns its status. */
  pe_status (*bad_row)(void *ctx, const pe_cix_chunk *chunk, int64_t i);
  /* Optional: the bytes of each record of this chunk, at most record_size
   * (a caller may pack a chunk's rows tighter when its values allow). NULL:
   * always record_size. */
  size_t (*record_bytes)(void *ctx, const pe_cix_chunk *chunk);
  /* Writes rows [begin, end) of the chunk as records, row i to record
   * pe_cix_next_record(next, chunk, i) of `records`. Called for disjoint
   * blocks on several threads. */
  void (*scatter)(void *ctx, const pe_cix_chunk *chunk, int64_t begin, int64_t end, int64_t *next,
                  void *records);
  /* Consumes partition p's n records of chunk number `chunk` (its offset /
   * chunk_rows), in row order. Returns 0, or -1 when out of memory (no
   * message: it runs on a worker thread). */
  int (*process)(void *ctx, int p, int64_t chunk, const void *records, int64_t n);
  /* Optional: called once per partition and batch, on the thread that then
   * processes the partition's `n` rows of the batch, before the first of
   * them (a caller may bring the partition's tables into cache, or set up
   * a thread's tables for the partition). */
  void (*warm)(void *ctx, int p, int64_t n);
  /* 1: every chunk goes into one batch, however large the table: each
   * partition's rows are then all handed over together, and `finish` may
   * conclude the partition right after them, while its tables are still in
   * cache. The grouped rows of the whole table are held in memory at once
   * (on small pages: each chunk's records are written once). */
  int one_batch;
  /* Optional: called once per partition, on the thread that processed its
   * last rows, right after them. Returns 0, or -1 when out of memory. */
  int (*finish)(void *ctx, int p);
  /* 1 (with one_batch): every chunk is checked and grouped by the thread
   * that has just decoded it, while it is in that thread's caches
   * (pe_h5_chunks_each_block), chunks in parallel. Needs every column read
   * stored in HDF5 chunks of exactly chunk_rows rows that the direct path
   * can decode (pe_cix_pass_can_fuse); `check`, `record_bytes` and
   * `scatter` then run on several threads at once, each on its own chunk,
   * must not start parallel regions of their own, and `check` sees the
   * chunk's part[] already filled. `chunk_done` is called under a lock. */
  int fused;
  /* Optional: called after each chunk with its row count. */
  void (*chunk_done)(void *ctx, int64_t rows);
  /* Optional: where the pass adds the seconds of its parts. */
  pe_cix_pass_seconds *seconds;
} pe_cix_pass;

/* The record that row i of a scatter block goes to. */
static inline int64_t pe_cix_next_record(int64_t *next, const pe_cix_chunk *chunk, int64_t i) {
  return next[chunk->part[i]]++;
}

/* The rows per chunk a one-batch pass over `rows` rows should use when
 * `requested` are asked for: at least rows / 4096, since every chunk of the
 * batch keeps its partitions' offsets (4 KiB) until the pass ends (a
 * one-row chunk size would otherwise take 4 GB of offsets at 1M rows). */
static inline int64_t pe_cix_one_batch_chunk_rows(int64_t rows, int64_t requested) {
  const int64_t floor = (rows + 4095) / 4096;
  return requested > floor ? requested : floor > 0 ? floor : 1;
}

/* Whether a fused pass can read these columns of the table: then the rows
 * per chunk it must use (every column's HDF5 chunk), else 0. */
int64_t pe_cix_pass_can_fuse(const pe_h5_table *table, unsigned columns);

/* Runs the pass over every row of the table (nothing for an empty one). */
pe_status pe_cix_pass_run(const pe_cix_pass *pass);

#endif
