/* Rows are gathered column-wise in blocks and appended block by block, so
 * memory stays fixed however long the input is. */
#include <stdlib.h>

#include "core/error.h"
#include "csv/transactions_writer.h"
#include "io/h5.h"

/* 64 Ki rows per block: 2.5 MiB of buffers, and few enough HDF5 calls that
 * their overhead does not show. */
enum { BLOCK_ROWS = 1 << 16 };

typedef enum { C_CUSTOMER, C_ORDER, C_TIME, C_AMOUNT, C_DISCOUNT, C_CATEGORY, C_COUNT } column;

static const struct {
  const char *name;
  pe_dtype type;
} columns[C_COUNT] = {
    [C_CUSTOMER] = {"customer_id", PE_I64}, [C_ORDER] = {"order_id", PE_I64},
    [C_TIME] = {"timestamp", PE_I64},       [C_AMOUNT] = {"amount", PE_F64},
    [C_DISCOUNT] = {"discount", PE_F32},    [C_CATEGORY] = {"category", PE_I32},
};

struct pe_tx_writer {
  hid_t group;
  const char *file;
  pe_h5_appender app[C_COUNT];
  int opened;
  int64_t n; /* rows in the block buffers */
  int64_t *customer, *order, *time;
  double *amount;
  float *discount;
  int32_t *category;
};

void pe_tx_writer_free(pe_tx_writer *w) {
  if (!w) return;
  for (int c = 0; c < w->opened; c++) pe_h5_appender_close(&w->app[c]);
  if (w->group > 0) H5Gclose(w->group);
  free(w->customer);
  free(w->order);
  free(w->time);
  free(w->amount);
  free(w->discount);
  free(w->category);
  free(w);
}

pe_status pe_tx_writer_open(hid_t fid, const char *file, pe_tx_writer **writer) {
  *writer = NULL;
  pe_tx_writer *w = calloc(1, sizeof *w);
  PE_FAIL_IF(!w, PE_ERR_NOMEM, "out of memory");
  w->file = file;
  w->customer = malloc(BLOCK_ROWS * sizeof *w->customer);
  w->order = malloc(BLOCK_ROWS * sizeof *w->order);
  w->time = malloc(BLOCK_ROWS * sizeof *w->time);
  w->amount = malloc(BLOCK_ROWS * sizeof *w->amount);
  w->discount = malloc(BLOCK_ROWS * sizeof *w->discount);
  w->category = malloc(BLOCK_ROWS * sizeof *w->category);
  pe_status st = PE_OK;
  if (!w->customer || !w->order || !w->time || !w->amount || !w->discount || !w->category) {
    st = pe__fail(PE_ERR_NOMEM, "out of memory");
    goto fail;
  }
  w->group = H5Gcreate2(fid, "transactions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (w->group < 0) {
    st = pe__fail(PE_ERR_IO, "%s: cannot create group /transactions", file);
    goto fail;
  }
  for (int c = 0; c < C_COUNT; c++, w->opened++)
    PE_CHECK_GOTO(
        pe_h5_appender_create(w->group, file, columns[c].name, columns[c].type, 0, 1, &w->app[c]),
        st, fail);
  *writer = w;
  return PE_OK;
fail:
  pe_tx_writer_free(w);
  return st;
}

static pe_status flush(pe_tx_writer *w) {
  const void *data[C_COUNT] = {
      [C_CUSTOMER] = w->customer, [C_ORDER] = w->order,       [C_TIME] = w->time,
      [C_AMOUNT] = w->amount,     [C_DISCOUNT] = w->discount, [C_CATEGORY] = w->category,
  };
  for (int c = 0; c < C_COUNT; c++) PE_FORWARD(pe_h5_appender_append(&w->app[c], data[c], w->n));
  w->n = 0;
  return PE_OK;
}

pe_status pe_tx_writer_add(pe_tx_writer *w, const pe_transaction *tx) {
  int64_t i = w->n++;
  w->customer[i] = tx->customer_id;
  w->order[i] = tx->order_id;
  w->time[i] = tx->timestamp;
  w->amount[i] = tx->amount;
  w->discount[i] = tx->discount;
  w->category[i] = tx->category;
  return w->n == BLOCK_ROWS ? flush(w) : PE_OK;
}

pe_status pe_tx_writer_finish(pe_tx_writer *w, const char *source,
                              const char *const *category_names, int64_t count) {
  PE_FORWARD(flush(w));
  for (int c = 0; c < C_COUNT; c++) PE_FORWARD(pe_h5_appender_flush(&w->app[c]));
  if (count > 0)
    PE_FORWARD(pe_h5_write_strings(w->group, w->file, "category_names", category_names, count));
  PE_FORWARD(pe_h5_attr_str(w->group, "source", source));
  PE_FORWARD(pe_h5_attr_str(w->group, "imported_by", "personae import"));
  return PE_OK;
}
