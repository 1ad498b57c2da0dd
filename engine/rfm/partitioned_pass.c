/* The partitioned streaming pass (see partitioned_pass.h). */
#include "rfm/partitioned_pass.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"

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

static void add_seconds(const pe_cix_pass *pass, const pe_cix_pass_seconds *spent) {
  if (!pass->seconds) return;
  pass->seconds->read += spent->read;
  pass->seconds->check += spent->check;
  pass->seconds->group += spent->group;
  pass->seconds->process += spent->process;
}

/* Each row's partition (pe_cix_partition_of), in parallel unless the caller
 * is a task of a parallel region already (a fused pass's chunk). */
static void partitions_of(const int64_t *ids, int64_t n, uint16_t *part) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int64_t i = 0; i < n; i++) part[i] = (uint16_t)pe_cix_partition_of(pe_cix_hash(ids[i]));
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
  partitions_of(b->col[pass->id_column], chunk->rows, b->part);
  return PE_OK;
}

/* Groups the chunk's rows by partition into the batch's next slot: each
 * fixed block of rows on one thread, rows of a partition kept in row order.
 * A one-batch pass writes every slot once, so its records are sized to the
 * chunk; a batched pass's slots hold a whole chunk at record_size. Both come
 * from the heap, on small pages: fresh huge pages can cost far more to fault
 * in (measured on this project's VM: 2 GB took 2.5 s on huge pages the
 * first time, 0.4 s on small ones), and the heap reuses the pages an
 * earlier pass freed (the features' transactions pass's records, for the
 * sessions pass: 0.14 s less zeroing at 1M customers). */
static pe_status group_chunk(const pe_cix_pass *pass, const pe_cix_chunk *chunk, pass_buffers *b) {
  const int slot = b->batched;
  const size_t bytes =
      pass->record_bytes ? pass->record_bytes(pass->ctx, chunk) : pass->record_size;
  PE_FAIL_IF(bytes == 0 || bytes > pass->record_size, PE_ERR_USAGE,
             "%s: grouping %s: a record of %zu bytes (at most %zu)", pass->input, pass->what, bytes,
             pass->record_size);
  if (!b->records[slot]) {
    b->records[slot] = malloc(pass->one_batch ? (size_t)chunk->rows * bytes + 1 : b->chunk_bytes);
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
      /* The start of the partition's next run of records, fetched while
       * this one is walked: a run is a few hundred rows when chunks are
       * small (a fused pass), and its first lines missed every time. */
      if (i + 1 < b->batched) {
        const size_t bytes =
            (size_t)(b->offset[i + 1][p + 1] - b->offset[i + 1][p]) * b->record_bytes[i + 1];
        const unsigned char *next =
            b->records[i + 1] + (size_t)b->offset[i + 1][p] * b->record_bytes[i + 1];
        for (size_t at = 0; at < bytes && at < 4 * 64; at += 64) __builtin_prefetch(next + at);
      }
      failed |= pass->process(pass->ctx, p, b->chunk_no[i],
                              b->records[i] + (size_t)offset[p] * b->record_bytes[i],
                              offset[p + 1] - offset[p]) != 0;
    }
    if (last && pass->finish && !failed) failed |= pass->finish(pass->ctx, p) != 0;
  }
  b->batched = 0;
  return failed;
}

int64_t pe_cix_pass_can_fuse(const pe_h5_table *table, unsigned columns) {
  int64_t rows = 0;
  for (int c = 0; c < table->ncols; c++) {
    if (!(columns & (1u << c))) continue;
    const pe_h5_chunk_layout *l = &table->cols[c].layout;
    if (!table->present[c] || !l->usable || l->row_elems != 1 || l->chunk_rows <= 0 ||
        (rows && l->chunk_rows != rows))
      return 0;
    rows = l->chunk_rows;
  }
  return rows;
}

/* What a fused pass's blocks share (pe_h5_chunks_each_block). */
typedef struct {
  const pe_cix_pass *pass;
  pass_buffers *b;
  int column_of[16]; /* request r's table column */
  int nreq;
  unsigned char *slab; /* every block's records, packed in the order the blocks finish */
  size_t slab_used;
  uint16_t **part;           /* per thread: the block's partitions */
  double *check_s, *group_s; /* per thread */
  /* Per block that stopped: its bad row (or -1: out of memory, -2: a
   * record size out of range) and that row's values, request by request,
   * for the message. */
  int64_t *bad_row;
  unsigned char (*bad_values)[16][8];
} fused_run;

/* One decoded block: check it, then group it into its own slot. */
static int fused_block(void *ctx, int64_t block, int64_t offset, int64_t rows, void *const *cols) {
  fused_run *fr = ctx;
  const pe_cix_pass *pass = fr->pass;
  pass_buffers *b = fr->b;
  const int tid = omp_get_thread_num();
  double t = pe_now();
  pe_cix_chunk chunk = {.offset = offset, .rows = rows};
  for (int r = 0; r < fr->nreq; r++) chunk.col[fr->column_of[r]] = cols[r];
  uint16_t *part = fr->part[tid];
  partitions_of(chunk.col[pass->id_column], rows, part);
  chunk.part = part;
  const int64_t bad = pass->check(pass->ctx, &chunk);
  const double checked = pe_now();
  fr->check_s[tid] += checked - t;
  if (bad < rows) {
    fr->bad_row[block] = bad;
    for (int r = 0; r < fr->nreq; r++) {
      const size_t elem = pe_dtype_size(pass->table->cols[fr->column_of[r]].type);
      memcpy(fr->bad_values[block][r], (const unsigned char *)cols[r] + (size_t)bad * elem, elem);
    }
    return 1;
  }
  const size_t bytes =
      pass->record_bytes ? pass->record_bytes(pass->ctx, &chunk) : pass->record_size;
  if (!bytes || bytes > pass->record_size) {
    fr->bad_row[block] = -2;
    return 1;
  }
  size_t at;
  const size_t need = ((size_t)rows * bytes + 63) / 64 * 64;
#pragma omp atomic capture
  {
    at = fr->slab_used;
    fr->slab_used += need;
  }
  unsigned char *records = b->records[block] = fr->slab + at;
  /* A stable counting sort of the block's rows by partition. */
  int64_t *offset_of = b->offset[block], next[PE_CIX_PARTITIONS];
  memset(offset_of, 0, sizeof b->offset[block]);
  for (int64_t i = 0; i < rows; i++) offset_of[part[i] + 1]++;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    offset_of[p + 1] += offset_of[p];
    next[p] = offset_of[p];
  }
  pass->scatter(pass->ctx, &chunk, 0, rows, next, records);
  b->record_bytes[block] = bytes;
  b->chunk_no[block] = block;
  fr->group_s[tid] += pe_now() - checked;
  if (pass->chunk_done) {
#pragma omp critical(pe_cix_fused_progress)
    pass->chunk_done(pass->ctx, rows);
  }
  return 0;
}

/* The fused pass: every block read, checked and grouped in parallel, then
 * every partition walked as in a one-batch pass. */
static pe_status run_fused(const pe_cix_pass *pass) {
  const int64_t rows = pass->table->rows, chunk_rows = pass->chunk_rows;
  PE_FAIL_IF(!pass->one_batch || pe_cix_pass_can_fuse(pass->table, pass->columns) != chunk_rows,
             PE_ERR_USAGE, "%s: %s cannot be read fused in chunks of %lld rows", pass->input,
             pass->what, (long long)chunk_rows);
  const int64_t blocks = (rows + chunk_rows - 1) / chunk_rows;
  PE_FAIL_IF(blocks > INT32_MAX, PE_ERR_USAGE, "%s: %lld chunks are too many", pass->input,
             (long long)blocks);
  const int threads = omp_get_max_threads();
  pass_buffers b = {0};
  fused_run fr = {.pass = pass, .b = &b};
  pe_h5_chunk_request req[16];
  for (int c = 0; c < pass->table->ncols; c++) {
    if (!(pass->columns & (1u << c))) continue;
    const pe_h5_column *col = &pass->table->cols[c];
    fr.column_of[fr.nreq] = c;
    req[fr.nreq++] = (pe_h5_chunk_request){col->did, &col->layout, NULL, col->path};
  }
  b.max_batch = (int)blocks;
  b.records = calloc((size_t)blocks, sizeof *b.records);
  b.record_bytes = calloc((size_t)blocks, sizeof *b.record_bytes);
  b.chunk_no = calloc((size_t)blocks, sizeof *b.chunk_no);
  b.offset = malloc((size_t)blocks * sizeof *b.offset);
  fr.part = calloc((size_t)threads, sizeof *fr.part);
  fr.check_s = calloc((size_t)threads, sizeof *fr.check_s);
  fr.group_s = calloc((size_t)threads, sizeof *fr.group_s);
  fr.bad_row = malloc((size_t)blocks * sizeof *fr.bad_row);
  fr.bad_values = malloc((size_t)blocks * sizeof *fr.bad_values);
  /* One allocation for every block's records, room for the largest record
   * size, made here on the main thread; each block takes its records' share
   * from the front as it finishes, so the pages touched are one run from the
   * start (narrow records leave the tail untouched, never backed), which the
   * caller's next steps reuse once it is freed. (Each task's own allocations
   * came from the worker threads' arenas: the walk over them measured 0.4 s
   * slower at 100.9M rows.) */
  fr.slab = malloc((size_t)rows * pass->record_size + (size_t)blocks * 64 + 1);
  int missing = !fr.slab || !b.records || !b.record_bytes || !b.chunk_no || !b.offset || !fr.part ||
                !fr.check_s || !fr.group_s || !fr.bad_row || !fr.bad_values;
  for (int t = 0; !missing && t < threads; t++)
    missing |= !(fr.part[t] = malloc((size_t)chunk_rows * sizeof *fr.part[t]));
  pe_status st = PE_OK;
  if (missing) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory for %lld-row read buffers", pass->input,
                  (long long)chunk_rows);
    goto done;
  }
  double t = pe_now();
  int64_t failed;
  st = pe_h5_chunks_each_block(req, fr.nreq, rows, fused_block, &fr, pass->input, &failed);
  const double fused_s = pe_now() - t;
  if (st == PE_OK && failed >= 0 && fr.bad_row[failed] == -1)
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping %s", pass->input, pass->what);
  if (st == PE_OK && failed >= 0 && fr.bad_row[failed] == -2)
    st = pe__fail(PE_ERR_USAGE, "%s: grouping %s: a record size out of range", pass->input,
                  pass->what);
  if (st == PE_OK && failed >= 0) {
    /* The bad row, alone, as a one-row chunk for the caller's message. */
    pe_cix_chunk one = {.offset = failed * chunk_rows + fr.bad_row[failed], .rows = 1};
    for (int r = 0; r < fr.nreq; r++) one.col[fr.column_of[r]] = fr.bad_values[failed][r];
    st = pass->bad_row(pass->ctx, &one, 0);
  }
  if (st != PE_OK) goto done;
  pe_cix_pass_seconds spent = {0};
  for (int i = 0; i < threads; i++) {
    spent.check += fr.check_s[i] / threads;
    spent.group += fr.group_s[i] / threads;
  }
  spent.read = fused_s - spent.check - spent.group;
  b.batched = (int)blocks;
  t = pe_now();
  const int failed_walk = process_batch(pass, &b, 1);
  spent.process = pe_now() - t;
  if (failed_walk) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping %s", pass->input, pass->what);
    goto done;
  }
  add_seconds(pass, &spent);

done:
  for (int i = 0; fr.part && i < threads; i++) free(fr.part[i]);
  free(fr.part);
  free(fr.check_s);
  free(fr.group_s);
  free(fr.bad_row);
  free(fr.bad_values);
  if (b.records) memset(b.records, 0, (size_t)b.max_batch * sizeof *b.records); /* the slab's */
  free(fr.slab);
  free_buffers(&b);
  return st;
}

pe_status pe_cix_pass_run(const pe_cix_pass *pass) {
  const int64_t rows = pass->table->rows;
  if (rows == 0) return PE_OK;
  if (pass->fused) return run_fused(pass);
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
  add_seconds(pass, &spent);

done:
  free_buffers(&b);
  return st;
}
