/* The partitioned streaming pass (see partitioned_pass.h). */
#include "rfm/partitioned_pass.h"

#include <stdlib.h>

#include "core/error.h"

typedef struct {
  void *col[16];
  uint64_t *hash;
  unsigned char *records;
  pe_cix_plan plan;
} pass_buffers;

static void free_buffers(pass_buffers *b) {
  for (int c = 0; c < 16; c++) free(b->col[c]);
  free(b->hash);
  free(b->records);
  pe_cix_plan_free(&b->plan);
}

static pe_status alloc_buffers(const pe_cix_pass *pass, int64_t chunk, pass_buffers *b) {
  int missing = 0;
  for (int c = 0; c < pass->table->ncols; c++) {
    if (!(pass->columns & (1u << c))) continue;
    b->col[c] = malloc((size_t)chunk * pe_dtype_size(pass->table->cols[c].type));
    missing |= !b->col[c];
  }
  b->hash = malloc((size_t)chunk * sizeof *b->hash);
  b->records = malloc((size_t)chunk * pass->record_size);
  PE_FAIL_IF(missing || !b->hash || !b->records, PE_ERR_NOMEM,
             "%s: out of memory for %lld-row read buffers", pass->input, (long long)chunk);
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
  for (int64_t i = 0; i < n; i++) b->hash[i] = pe_cix_hash(ids[i]);
  return PE_OK;
}

/* Groups the chunk's rows by partition: each fixed block of rows on one
 * thread, rows of a partition kept in row order. */
static void group_chunk(const pe_cix_pass *pass, const pe_cix_chunk *chunk, pass_buffers *b) {
  const pe_cix_plan *plan = &b->plan;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < plan->blocks; blk++) {
    int64_t end = (blk + 1) * PE_CIX_BLOCK_ROWS;
    if (end > plan->rows) end = plan->rows;
    pass->scatter(chunk, blk * PE_CIX_BLOCK_ROWS, end, plan->start + blk * PE_CIX_PARTITIONS,
                  b->records);
  }
}

static int process_partitions(const pe_cix_pass *pass, const pass_buffers *b) {
  const int64_t *offset = b->plan.offset;
  int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
  for (int p = 0; p < PE_CIX_PARTITIONS; p++)
    failed |= pass->process(pass->ctx, p, b->records + (size_t)offset[p] * pass->record_size,
                            offset[p + 1] - offset[p]) != 0;
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
  chunk.hash = b.hash;
  for (int64_t off = 0; off < rows; off += chunk_rows) {
    chunk.offset = off;
    chunk.rows = rows - off < chunk_rows ? rows - off : chunk_rows;
    PE_CHECK_GOTO(read_chunk(pass, &b, &chunk), st, done);
    int64_t bad = pass->check(pass->ctx, &chunk);
    if (bad < chunk.rows) {
      st = pass->bad_row(pass->ctx, &chunk, bad);
      goto done;
    }
    PE_CHECK_GOTO(pe_cix_plan_build(b.hash, chunk.rows, &b.plan), st, done);
    group_chunk(pass, &chunk, &b);
    if (process_partitions(pass, &b)) {
      st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping %s", pass->input, pass->what);
      goto done;
    }
    if (pass->chunk_done) pass->chunk_done(pass->ctx, chunk.rows);
  }
  st = PE_OK;

done:
  free_buffers(&b);
  return st;
}
