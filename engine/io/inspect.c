/* pe_inspect: validate an input file against docs/format.md and summarise it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/error.h"
#include "core/id_set.h"
#include "io/h5.h"
#include "io/tables.h"
#include "personae/inspect.h"

enum { CHUNK_ROWS = 1 << 20 };

static pe_status scan_transactions(hid_t fid, const char *file, pe_data_summary *s) {
  pe_h5_table t;
  PE_FORWARD(
      pe_h5_table_open(fid, file, "/transactions", pe_transactions_spec, PE_TX_COLUMN_COUNT, &t));
  pe_status st = PE_OK;
  s->transaction_rows = t.rows;
  if (t.rows == 0) st = pe__fail(PE_ERR_DATA, "%s: /transactions is empty (0 rows)", file);
  int64_t *ids = malloc(CHUNK_ROWS * sizeof *ids);
  int64_t *orders = malloc(CHUNK_ROWS * sizeof *orders);
  int64_t *times = malloc(CHUNK_ROWS * sizeof *times);
  double *amounts = malloc(CHUNK_ROWS * sizeof *amounts);
  float *discounts = malloc(CHUNK_ROWS * sizeof *discounts);
  const int has_discount = t.present[PE_TX_DISCOUNT];
  pe_id_set customers = {0}, order_set = {0};
  if (st == PE_OK && (!ids || !orders || !times || !amounts || !discounts ||
                      pe_id_set_init(&customers, 1 << 16) || pe_id_set_init(&order_set, 1 << 16)))
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
  s->first_time = INT64_MAX;
  s->last_time = INT64_MIN;
  for (int64_t off = 0; st == PE_OK && off < t.rows; off += CHUNK_ROWS) {
    int64_t n = t.rows - off < CHUNK_ROWS ? t.rows - off : CHUNK_ROWS;
    PE_CHECK_GOTO(pe_h5_column_read(&t.cols[PE_TX_CUSTOMER_ID], off, n, ids), st, done);
    PE_CHECK_GOTO(pe_h5_column_read(&t.cols[PE_TX_ORDER_ID], off, n, orders), st, done);
    PE_CHECK_GOTO(pe_h5_column_read(&t.cols[PE_TX_TIMESTAMP], off, n, times), st, done);
    PE_CHECK_GOTO(pe_h5_column_read(&t.cols[PE_TX_AMOUNT], off, n, amounts), st, done);
    if (has_discount)
      PE_CHECK_GOTO(pe_h5_column_read(&t.cols[PE_TX_DISCOUNT], off, n, discounts), st, done);
    for (int64_t i = 0; i < n; i++) {
      if (has_discount && !(discounts[i] >= 0.0f && discounts[i] <= 1.0f)) {
        st = pe__fail(PE_ERR_DATA,
                      "%s: /transactions/discount: row %lld is %g, expected a fraction in [0, 1]",
                      file, (long long)(off + i), (double)discounts[i]);
        goto done;
      }
      if (!pe_timestamp_ok(times[i])) {
        st = pe__fail(PE_ERR_DATA,
                      "%s: /transactions/timestamp: row %lld is %lld, outside years 1..9999 "
                      "(expected Unix seconds)",
                      file, (long long)(off + i), (long long)times[i]);
        goto done;
      }
      if (!pe_amount_ok(amounts[i])) {
        st = pe_amount_error(file, off + i, amounts[i]);
        goto done;
      }
      if (pe_id_set_add(&customers, ids[i]) < 0 || pe_id_set_add(&order_set, orders[i]) < 0) {
        st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
        goto done;
      }
      s->revenue += amounts[i];
      s->return_rows += amounts[i] < 0;
      if (times[i] < s->first_time) s->first_time = times[i];
      if (times[i] > s->last_time) s->last_time = times[i];
    }
  }
done:
  s->customers = customers.count;
  s->orders = order_set.count;
  pe_id_set_free(&customers);
  pe_id_set_free(&order_set);
  free(ids), free(orders), free(times), free(amounts), free(discounts);
  pe_h5_table_close(&t);
  return st;
}

static pe_status scan_sessions(hid_t fid, const char *file, pe_data_summary *s) {
  if (!pe_h5_exists(fid, "/sessions")) return PE_OK;
  pe_h5_table t;
  PE_FORWARD(
      pe_h5_table_open(fid, file, "/sessions", pe_sessions_spec, PE_SESSION_COLUMN_COUNT, &t));
  s->has_sessions = 1;
  s->sessions = t.rows;
  pe_id_set set = {0};
  int64_t *ids = malloc(CHUNK_ROWS * sizeof *ids);
  int32_t *pages = malloc(CHUNK_ROWS * sizeof *pages), *carts = malloc(CHUNK_ROWS * sizeof *carts);
  float *duration = malloc(CHUNK_ROWS * sizeof *duration);
  uint8_t *purchased = malloc(CHUNK_ROWS * sizeof *purchased);
  int64_t *starts = malloc(CHUNK_ROWS * sizeof *starts);
  pe_status st = PE_OK;
  if (!ids || !pages || !carts || !duration || !purchased || !starts ||
      pe_id_set_init(&set, 1 << 16))
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
  for (int64_t off = 0; st == PE_OK && off < t.rows; off += CHUNK_ROWS) {
    int64_t n = t.rows - off < CHUNK_ROWS ? t.rows - off : CHUNK_ROWS;
    st = pe_h5_column_read(&t.cols[PE_SESSION_CUSTOMER_ID], off, n, ids);
    if (st == PE_OK) st = pe_h5_column_read(&t.cols[PE_SESSION_PAGEVIEWS], off, n, pages);
    if (st == PE_OK) st = pe_h5_column_read(&t.cols[PE_SESSION_CART_ADDS], off, n, carts);
    if (st == PE_OK) st = pe_h5_column_read(&t.cols[PE_SESSION_DURATION_S], off, n, duration);
    if (st == PE_OK) st = pe_h5_column_read(&t.cols[PE_SESSION_PURCHASED], off, n, purchased);
    if (st == PE_OK) st = pe_h5_column_read(&t.cols[PE_SESSION_TIMESTAMP], off, n, starts);
    for (int64_t i = 0; st == PE_OK && i < n; i++) {
      const char *bad = pages[i] < 0   ? "pageviews is negative"
                        : carts[i] < 0 ? "cart_adds is negative"
                        : !(duration[i] >= 0 && duration[i] < 1e30f)
                            ? "duration_s is not a finite number >= 0"
                        : purchased[i] > 1 ? "purchased is neither 0 nor 1"
                        : !pe_timestamp_ok(starts[i])
                            ? "timestamp is outside years 1..9999 (expected Unix seconds)"
                            : NULL;
      if (bad)
        st = pe__fail(PE_ERR_DATA, "%s: /sessions: row %lld: %s", file, (long long)(off + i), bad);
      else if (pe_id_set_add(&set, ids[i]) < 0)
        st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
    }
  }
  s->session_customers = set.count;
  pe_id_set_free(&set);
  free(ids), free(pages), free(carts), free(duration), free(purchased), free(starts);
  pe_h5_table_close(&t);
  return st;
}

static pe_status scan_truth(hid_t fid, const char *file, pe_data_summary *s) {
  if (!pe_h5_exists(fid, "/truth/archetype")) return PE_OK;
  int32_t *arch;
  int64_t n;
  PE_FORWARD(pe_h5_read_column_all(fid, file, "/truth/archetype", PE_I32, (void **)&arch, &n));
  s->has_truth = 1;
  for (int64_t i = 0; i < n; i++)
    if (arch[i] >= 0 && arch[i] < PE_ARCHETYPE_COUNT) s->truth_counts[arch[i]]++;
  free(arch);
  return PE_OK;
}

pe_status pe_inspect(const char *path, pe_data_summary *summary) {
  memset(summary, 0, sizeof *summary);
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(path, &fid));
  pe_status st = scan_transactions(fid, path, summary);
  if (st == PE_OK) st = scan_sessions(fid, path, summary);
  if (st == PE_OK && pe_h5_exists(fid, "/customers")) {
    pe_h5_table t;
    st = pe_h5_table_open(fid, path, "/customers", pe_customers_spec, PE_CUSTOMER_COLUMN_COUNT, &t);
    if (st == PE_OK) {
      summary->has_customers = 1;
      summary->customer_rows = t.rows;
      pe_h5_table_close(&t);
    }
  }
  if (st == PE_OK) st = scan_truth(fid, path, summary);
  H5Fclose(fid);
  return st;
}
