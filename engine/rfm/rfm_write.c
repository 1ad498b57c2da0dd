/* Writes an RFM result as the /rfm group of a result file (docs/rfm.md). */
#include <stddef.h>
#include <stdlib.h>

#include "core/error.h"
#include "io/h5.h"
#include "io/results_writer.h"
#include "rfm/rfm_internal.h"

typedef struct {
  const char *name;
  pe_dtype type;
  size_t offset; /* of the array pointer inside pe_rfm_result */
} column_def;

#define COL(field, type) \
  { #field, type, offsetof(pe_rfm_result, field) }

static const column_def rfm_columns[] = {
    COL(customer_id, PE_I64),
    COL(has_purchase, PE_U8),
    COL(recency_days, PE_I32),
    COL(frequency, PE_I32),
    COL(monetary, PE_F64),
    COL(first_purchase, PE_I64),
    COL(last_purchase, PE_I64),
    COL(tenure_days, PE_I32),
    COL(aov, PE_F64),
    COL(orders_returned, PE_I32),
    COL(r, PE_U8),
    COL(f, PE_U8),
    COL(m, PE_U8),
    COL(rfm_code, PE_I32),
    COL(segment, PE_I16),
};

static pe_status write_group(const pe_rfm_result *res, hid_t fid, pe_h5_out *out,
                             const char *file) {
  hid_t gid;
  PE_FORWARD(pe_h5_out_replace_group(out, fid, file, "/rfm", &gid));
  /* All columns in one write: their chunks are compressed together, in
   * parallel, and the large columns stored as they are go to the update's
   * writer thread (the result lives until the commit: pe_rfm_write_into). */
  enum { NCOLS = sizeof rfm_columns / sizeof rfm_columns[0] };
  pe_h5_dataset_spec specs[NCOLS];
  for (size_t i = 0; i < NCOLS; i++)
    specs[i] = (pe_h5_dataset_spec){rfm_columns[i].name,
                                    rfm_columns[i].type,
                                    res->count,
                                    0,
                                    *(void *const *)((const char *)res + rfm_columns[i].offset),
                                    1,
                                    1};
  pe_status st = pe_h5_write_many_to(out, gid, file, specs, NCOLS);
  const char *names[256];
  int nseg = res->nseg < 256 ? res->nseg : 256;
  for (int c = 0; c < nseg; c++) names[c] = res->seg[c].name;
  if (st == PE_OK) st = pe_h5_write_strings(gid, file, "segment_names", names, nseg);
  /* Cut points: per score 1..bins, [min, max] raw value, and count. */
  const int bins = res->summary.bins;
  static const char *const bound_names[3] = {"bounds_recency_days", "bounds_frequency",
                                             "bounds_monetary"};
  double *b = malloc((size_t)bins * 3 * sizeof *b);
  if (!b && st == PE_OK) st = pe__fail(PE_ERR_NOMEM, "out of memory");
  for (int d = 0; d < 3 && st == PE_OK; d++) {
    for (int s = 1; s <= bins; s++) {
      b[(s - 1) * 3 + 0] = res->bound[d][s][0];
      b[(s - 1) * 3 + 1] = res->bound[d][s][1];
      b[(s - 1) * 3 + 2] = (double)res->bound_count[d][s];
    }
    st = pe_h5_write_matrix(gid, file, bound_names[d], PE_F64, bins, 3, b, 0);
  }
  free(b);
  const pe_rfm_summary *s = &res->summary;
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "as_of", s->as_of);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "bins", s->bins);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "rows", s->rows);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "rows_future", s->rows_future);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "orders", s->orders);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "customers", s->customers);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "customers_scored", s->customers_scored);
  if (st == PE_OK) st = pe_h5_attr_f64(gid, "revenue", s->revenue);
  if (st == PE_OK) st = pe_h5_attr_str(gid, "bounds_columns", "min, max, count per score 1..bins");
  H5Gclose(gid);
  return st;
}

pe_status pe_rfm_write_into(const pe_rfm_result *res, pe_results_writer *w, const char *input) {
  PE_FAIL_IF(!res || !w, PE_ERR_USAGE, "rfm: nothing to write");
  const char *output = pe_results_path(w);
  pe_status st = write_group(res, pe__results_file(w), pe__results_out(w), output);
  if (st == PE_OK) {
    hid_t gid = H5Gopen2(pe__results_file(w), "/rfm", H5P_DEFAULT);
    st = gid < 0 ? pe__fail(PE_ERR_IO, "%s: cannot reopen /rfm", output)
                 : pe_h5_stamp_input(gid, input);
    if (gid >= 0) H5Gclose(gid);
  }
  return pe__results_note(w, st);
}

pe_status pe_rfm_write(const pe_rfm_result *res, const char *output, const char *input) {
  const char *inputs[] = {input, NULL};
  /* The personas were made from the previous /rfm: they go with it. */
  const char *replaces[] = {"/rfm", "/personas", NULL};
  pe_results_writer *w;
  PE_FORWARD(pe_results_begin(output, inputs, replaces, &w));
  return pe__results_finish(w, pe_rfm_write_into(res, w, input));
}
