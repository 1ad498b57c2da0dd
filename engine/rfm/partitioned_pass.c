/* The partitioned streaming pass (see partitioned_pass.h). */
#include "rfm/partitioned_pass.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/huge_alloc.h"

/* Grouped rows are handed to the caller in batches of chunks: each
 * partition's rows of every chunk of the batch one after the other, on one
 * thread. A partition's tables then stay in cache, and their pages in the
 * TLB, for all of those rows, where handing over chunk by chunk visited
 * every partition's tables once per chunk and met them cold each time (at
 * millions of customers the tables of all partitions are far larger than
 * the caches). The batch is bounded in bytes of grouped rows. */
#define PE_CIX_BATCH_BYTES ((size_t)512 << 20)
#define PE_CIX_MAX_BATCH_CHUNKS 1024

typedef struct {
  void *col[16];
  uint16_t *part;
  pe_cix_plan plan;
  /* The batch: grouped rows of up to `max_batch` chunks, and where each
   * partition's rows start in each. */
  int max_batch, batched;
  size_t chunk_bytes; /* of one chunk's grouped rows at record_size */
  unsigned char **records;
  size_t *record_bytes; /* of each slot's records */
  int64_t *chunk_no;    /* each slot's chunk number */
  int64_t (*offset)[PE_CIX_PARTITIONS + 1];
} pass_buffers;

static void free_buffers(pass_buffers *b) {
  for (int c = 0; c < 16; c++) free(b->col[c]);
  free(b->part);
  for (int i = 0; b->records && i < b->max_batch; i++) free(b->records[i]);
  free(b->records);
  free(b->record_bytes);
  free(b->chunk_no);
  free(b->offset);
  pe_cix_plan_free(&b->plan);
}

static pe_status alloc_buffers(const pe_cix_pass *pass, int64_t chunk, pass_buffers *b) {
  int missing = 0;
  for (int c = 0; c < pass->table->ncols; c++) {
    if (!(pass->columns & (1u << c))) continue;
    b->col[c] = malloc((size_t)chunk * pe_dtype_size(pass->table->cols[c].type));
    missing |= !b->col[c];
  }
  b->part = malloc((size_t)chunk * sizeof *b->part);
  const size_t chunk_bytes = b->chunk_bytes = (size_t)chunk * pass->record_size;
  const int64_t chunks = (pass->table->rows + chunk - 1) / chunk;
  int64_t max_batch = pass->batch_rows > 0
                          ? pass->batch_rows / chunk
                          : (int64_t)(PE_CIX_BATCH_BYTES / (chunk_bytes ? chunk_bytes : 1));
  if (max_batch > chunks) max_batch = chunks;
  /* Each slot keeps its partitions' offsets (4 KiB): tiny chunks must not
   * turn the batch into hundreds of MB of offsets. */
  if (max_batch > PE_CIX_MAX_BATCH_CHUNKS) max_batch = PE_CIX_MAX_BATCH_CHUNKS;
  if (pass->one_batch) max_batch = chunks;
  PE_FAIL_IF(max_batch > INT32_MAX, PE_ERR_USAGE, "%s: %lld chunks of %lld rows are too many",
             pass->input, (long long)chunks, (long long)chunk);
  b->max_batch = max_batch > 1 ? (int)max_batch : 1;
  b->records = calloc((size_t)b->max_batch, sizeof *b->records);
  b->record_bytes = calloc((size_t)b->max_batch, sizeof *b->record_bytes);
  b->chunk_no = calloc((size_t)b->max_batch, sizeof *b->chunk_no);
  b->offset = malloc((size_t)b->max_batch * sizeof *b->offset);
  PE_FAIL_IF(missing || !b->part || !b->records || !b->record_bytes || !b->chunk_no || !b->offset,
             PE_ERR_NOMEM, "%s: out of memory for %lld-row read buffers", pass->input,
             (long long)chunk);
  return PE_OK;
}

/* All columns of the chunk in one parallel read where their chunks can be
 * decoded directly (the usual case), the others through HDF5. */
static pe_status read_chunk(const pe_cix_pass *pass, pass_buffers *b, pe_cix_chunk *chunk) {
  pe_h5_chunk_request req[16];
  int nreq = 0;
  for (int c = 0; c < pass->table->ncols; c++) {
    const pe_h5_column *col = &pass->table->cols[c];
    if (!b->col[c]) continue;
    if (col->layout.usable)
      req[nreq++] = (pe_h5_chunk_request){col->did, &col->layout, b->col[c], col->path};
    else
      PE_FORWARD(pe_h5_column_read(col, chunk->offset, chunk->rows, b->col[c]));
  }
  PE_FORWARD(pe_h5_chunks_read_many(req, nreq, chunk->offset, chunk->rows, pass->input));
  const int64_t *ids = b->col[pass->id_column];
  const int64_t n = chunk->rows;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) b->part[i] = (uint16_t)pe_cix_partition_of(pe_cix_hash(ids[i]));
  return PE_OK;
}

/* A batch slot's buffer, written once per chunk: on huge pages where the
 * kernel offers them, so that filling a fresh buffer costs a page fault per
 * 2 MiB instead of per 4 KiB (measured: the 4 KiB faults of a 300 MB batch
 * cost more than the batching saved at a million customers). */
static unsigned char *alloc_records(size_t bytes) {
  return pe_huge_alloc(bytes);
}

/* Groups the chunk's rows by partition into the batch's next slot: each
 * fixed block of rows on one thread, rows of a partition kept in row order.
 * A one-batch pass writes every slot once, so its records are sized to the
 * chunk and stay on small pages: fresh huge pages can cost far more to
 * fault in than small ones (measured on this project's VM: 2 GB took 2.5 s
 * on huge pages the first time, 0.4 s on small ones). */
static pe_status group_chunk(const pe_cix_pass *pass, const pe_cix_chunk *chunk, pass_buffers *b) {
  const int slot = b->batched;
  const size_t bytes =
      pass->record_bytes ? pass->record_bytes(pass->ctx, chunk) : pass->record_size;
  PE_FAIL_IF(bytes == 0 || bytes > pass->record_size, PE_ERR_USAGE,
             "%s: grouping %s: a record of %zu bytes (at most %zu)", pass->input, pass->what, bytes,
             pass->record_size);
  if (!b->records[slot]) {
    b->records[slot] =
        pass->one_batch ? malloc((size_t)chunk->rows * bytes + 1) : alloc_records(b->chunk_bytes);
    PE_FAIL_IF(!b->records[slot], PE_ERR_NOMEM, "%s: out of memory grouping %s", pass->input,
               pass->what);
  }
  b->record_bytes[slot] = bytes;
  b->chunk_no[slot] = chunk->offset / pass->chunk_rows;
  unsigned char *records = b->records[slot];
  const pe_cix_plan *plan = &b->plan;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < plan->blocks; blk++) {
    int64_t end = (blk + 1) * PE_CIX_BLOCK_ROWS;
    if (end > plan->rows) end = plan->rows;
    pass->scatter(pass->ctx, chunk, blk * PE_CIX_BLOCK_ROWS, end,
                  plan->start + blk * PE_CIX_PARTITIONS, records);
  }
  memcpy(b->offset[slot], plan->offset, sizeof b->offset[slot]);
  b->batched++;
  return PE_OK;
}

/* Hands every partition its rows of the batch's chunks, in chunk order;
 * after the last batch, `finish` concludes each partition. */
static int process_batch(const pe_cix_pass *pass, pass_buffers *b, int last) {
  int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    if (pass->warm) {
      int64_t n = 0;
      for (int i = 0; i < b->batched; i++) n += b->offset[i][p + 1] - b->offset[i][p];
      pass->warm(pass->ctx, p, n);
    }
    for (int i = 0; i < b->batched && !failed; i++) {
      const int64_t *offset = b->offset[i];
      failed |= pass->process(pass->ctx, p, b->chunk_no[i],
                              b->records[i] + (size_t)offset[p] * b->record_bytes[i],
                              offset[p + 1] - offset[p]) != 0;
    }
    if (last && pass->finish && !failed) failed |= pass->finish(pass->ctx, p) != 0;
  }
  b->batched = 0;
  return failed;
}

pe_status pe_cix_pass_run(const pe_cix_pass *pass) {
  const int64_t rows = pass->table->rows;
  if (rows == 0) return PE_OK;
  const int64_t chunk_rows = pass->chunk_rows < rows ? pass->chunk_rows : rows;
  pass_buffers b = {0};
  pe_cix_chunk chunk = {0};
  pe_status st;
  PE_CHECK_GOTO(alloc_buffers(pass, chunk_rows, &b), st, done);
  for (int c = 0; c < 16; c++) chunk.col[c] = b.col[c];
  chunk.part = b.part;
  pe_cix_pass_seconds spent = {0};
  for (int64_t off = 0; off < rows; off += chunk_rows) {
    chunk.offset = off;
    chunk.rows = rows - off < chunk_rows ? rows - off : chunk_rows;
    double t = pe_now();
    PE_CHECK_GOTO(read_chunk(pass, &b, &chunk), st, done);
    spent.read += pe_now() - t;
    t = pe_now();
    int64_t bad = pass->check(pass->ctx, &chunk);
    spent.check += pe_now() - t;
    if (bad < chunk.rows) {
      st = pass->bad_row(pass->ctx, &chunk, bad);
      goto done;
    }
    t = pe_now();
    PE_CHECK_GOTO(pe_cix_plan_build(b.part, chunk.rows, &b.plan), st, done);
    PE_CHECK_GOTO(group_chunk(pass, &chunk, &b), st, done);
    spent.group += pe_now() - t;
    t = pe_now();
    const int last = off + chunk.rows >= rows;
    const int failed = (b.batched == b.max_batch || last) && process_batch(pass, &b, last);
    spent.process += pe_now() - t;
    if (failed) {
      st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping %s", pass->input, pass->what);
      goto done;
    }
    if (pass->chunk_done) pass->chunk_done(pass->ctx, chunk.rows);
  }
  st = PE_OK;
  if (pass->seconds) {
    pass->seconds->read += spent.read;
    pass->seconds->check += spent.check;
    pass->seconds->group += spent.group;
    pass->seconds->process += spent.process;
  }

done:
  free_buffers(&b);
  return st;
}
