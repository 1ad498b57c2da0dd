/* pe_import_csv: the header picks the columns, every later record becomes a
 * transaction row or a counted skip, and the rows stream into an atomically
 * written HDF5 file. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/id_set.h"
#include "csv/column_map.h"
#include "csv/line_reader.h"
#include "csv/name_codes.h"
#include "csv/record_reader.h"
#include "csv/row_convert.h"
#include "csv/transactions_writer.h"
#include "io/h5.h"
#include "personae/import.h"

/* Progress is reported every this many rows. */
enum { PROGRESS_ROWS = 1 << 16 };

static const char *const skip_names[PE_SKIP_REASON_COUNT] = {
#define PE__SKIP_NAME(name, text) [name] = text,
    PE_IMPORT_SKIP_MAP(PE__SKIP_NAME)
#undef PE__SKIP_NAME
};

const char *pe_import_skip_reason_name(pe_import_skip_reason r) {
  return (unsigned)r < PE_SKIP_REASON_COUNT ? skip_names[r] : "unknown";
}

void pe_import_params_init(pe_import_params *p) {
  memset(p, 0, sizeof *p);
  p->format = PE_IMPORT_FORMAT_AUTO;
  p->dates = PE_DATE_MDY;
}

void pe_import_default_output(const char *input, char *buf, size_t size) {
  snprintf(buf, size, "%s", input);
  size_t n = strlen(buf);
  if (n > 3 && strcmp(buf + n - 3, ".gz") == 0) buf[n -= 3] = '\0';
  char *slash = strrchr(buf, '/');
  char *dot = strrchr(buf, '.');
  /* A dot that starts the file name (".hidden") is not an extension. */
  if (dot && dot > (slash ? slash + 1 : buf)) *dot = '\0';
  n = strlen(buf);
  snprintf(buf + n, size > n ? size - n : 0, ".h5");
}

typedef struct {
  const char *input;
  const pe_import_params *params;
  pe_import_summary *sum;
  pe_line_reader *lines;
  pe_h5_out *out;
  pe_tx_writer *writer;
  pe_column_map map;
  pe_row_rules rules;
  int columns_known;
  pe_id_set customers, orders, category_codes;
  pe_name_codes *categories;
} import_run;

/* A first record with NUL or other control bytes is not a text export (an
 * archive, a spreadsheet binary, random bytes): a data error, not a column
 * naming problem. */
static int is_binary(const pe_record *rec) {
  for (int f = 0; f < rec->nfields; f++)
    for (size_t i = 0; i < rec->len[f]; i++) {
      const unsigned char c = (unsigned char)rec->field[f][i];
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return 1;
    }
  return 0;
}

static pe_status start_columns(import_run *r, const pe_record *rec) {
  const pe_import_params *p = r->params;
  PE_FAIL_IF(is_binary(rec), PE_ERR_DATA,
             "%s:%lld: control or NUL bytes: not a text CSV export (binary file?)", r->input,
             (long long)rec->line);
  const pe_record *header = p->no_header ? NULL : rec;
  PE_FORWARD(pe_column_map_resolve(r->input, header, rec->nfields, p, &r->map));
  pe_column_map_describe(&r->map, r->sum->columns_used, sizeof r->sum->columns_used);
  if (r->map.index[PE_COL_CATEGORY] >= 0 && !p->category_numeric) {
    r->categories = pe_name_codes_create();
    PE_FAIL_IF(!r->categories, PE_ERR_NOMEM, "out of memory");
  }
  r->rules = (pe_row_rules){&r->map, rec->nfields, p->dates, r->categories};
  r->sum->orders_synthesised = r->map.index[PE_COL_ORDER] < 0;
  r->columns_known = 1;
  return pe_tx_writer_open(pe_h5_out_file(r->out), pe_h5_out_path(r->out), &r->writer);
}

static pe_status skip_row(import_run *r, const pe_record *rec, const pe_row_problem *pr) {
  pe_import_summary *s = r->sum;
  s->skipped[pr->reason]++;
  if (pr->reason == PE_SKIP_MISSING_CUSTOMER) return PE_OK;
  s->malformed++;
  PE_FAIL_IF(r->params->strict, PE_ERR_DATA, "%s:%lld: %s: %s (--strict)", r->input,
             (long long)rec->line, pe_import_skip_reason_name(pr->reason), pr->detail);
  if (s->problems_kept < PE_IMPORT_PROBLEMS_KEPT) {
    pe_import_problem *kept = &s->problems[s->problems_kept++];
    kept->line = rec->line;
    kept->reason = pr->reason;
    snprintf(kept->detail, sizeof kept->detail, "%s", pr->detail);
  }
  return PE_OK;
}

static pe_status keep_row(import_run *r, pe_transaction *tx) {
  pe_import_summary *s = r->sum;
  /* Without an order column every imported row is its own order, numbered
   * 1, 2, ... in file order. */
  if (s->orders_synthesised) tx->order_id = s->rows_imported + 1;
  int new_customer = pe_id_set_add(&r->customers, tx->customer_id);
  int new_order = pe_id_set_add(&r->orders, tx->order_id);
  int new_category = tx->category < 0 ? 0 : pe_id_set_add(&r->category_codes, tx->category);
  PE_FAIL_IF(new_customer < 0 || new_order < 0 || new_category < 0, PE_ERR_NOMEM, "out of memory");
  if (s->rows_imported == 0 || tx->timestamp < s->first_timestamp)
    s->first_timestamp = tx->timestamp;
  if (s->rows_imported == 0 || tx->timestamp > s->last_timestamp) s->last_timestamp = tx->timestamp;
  s->rows_imported++;
  s->total_amount += tx->amount;
  return pe_tx_writer_add(r->writer, tx);
}

static pe_status on_record(void *ctx, const pe_record *rec) {
  import_run *r = ctx;
  if (!r->columns_known) {
    PE_FORWARD(start_columns(r, rec));
    if (!r->params->no_header) return PE_OK;
  }
  pe_import_summary *s = r->sum;
  s->rows_read++;
  if (r->params->progress && s->rows_read % PROGRESS_ROWS == 0)
    r->params->progress(r->params->progress_ctx, pe_line_reader_offset(r->lines),
                        pe_line_reader_size(r->lines));
  pe_transaction tx;
  pe_row_problem pr;
  switch (pe_row_convert(&r->rules, rec, &tx, &pr)) {
    case PE_ROW_OK: return keep_row(r, &tx);
    case PE_ROW_SKIPPED: return skip_row(r, rec, &pr);
    case PE_ROW_NOMEM: break;
  }
  return pe__fail(PE_ERR_NOMEM, "%s:%lld: out of memory (too many category names?)", r->input,
                  (long long)rec->line);
}

/* After the last record: an input without rows is an error, not an empty
 * table (it almost always means the wrong file or the wrong columns). */
static pe_status check_something_imported(const import_run *r) {
  const pe_import_summary *s = r->sum;
  PE_FAIL_IF(!r->columns_known, PE_ERR_DATA, "%s: the file is empty", r->input);
  PE_FAIL_IF(s->rows_read == 0, PE_ERR_DATA, "%s: has a header row but no data rows", r->input);
  if (s->rows_imported > 0) return PE_OK;
  if (s->problems_kept > 0)
    return pe__fail(PE_ERR_DATA,
                    "%s: none of the %lld rows could be imported (%lld without "
                    "customer id, %lld "
                    "malformed; line %lld: %s: %s)",
                    r->input, (long long)s->rows_read,
                    (long long)s->skipped[PE_SKIP_MISSING_CUSTOMER], (long long)s->malformed,
                    (long long)s->problems[0].line,
                    pe_import_skip_reason_name(s->problems[0].reason), s->problems[0].detail);
  return pe__fail(PE_ERR_DATA, "%s: none of the %lld rows has a customer id (column '%s')",
                  r->input, (long long)s->rows_read, r->map.name[PE_COL_CUSTOMER]);
}

static pe_status finish(import_run *r) {
  PE_FORWARD(check_something_imported(r));
  char source[4096];
  snprintf(source, sizeof source, "%s", r->input);
  const char *const *names = r->categories ? pe_name_codes_names(r->categories) : NULL;
  int64_t ncat = r->categories ? pe_name_codes_count(r->categories) : 0;
  PE_FORWARD(pe_tx_writer_finish(r->writer, basename(source), names, ncat));
  pe_tx_writer_free(r->writer);
  r->writer = NULL;
  pe_status st = pe_h5_out_commit(r->out);
  r->out = NULL;
  return st;
}

pe_status pe_import_csv(const char *input, const char *output, const pe_import_params *params,
                        pe_import_summary *summary) {
  pe_import_params defaults;
  if (!params) {
    pe_import_params_init(&defaults);
    params = &defaults;
  }
  memset(summary, 0, sizeof *summary);
  PE_FAIL_IF(!input || !*input, PE_ERR_USAGE, "no input file given");
  PE_FAIL_IF(params->delimiter == '"' || params->delimiter == '\n' || params->delimiter == '\r',
             PE_ERR_USAGE, "the delimiter cannot be a quote or a line break");
  char default_out[4096];
  if (!output) {
    pe_import_default_output(input, default_out, sizeof default_out);
    output = default_out;
  }

  import_run r = {.input = input, .params = params, .sum = summary};
  pe_status st = PE_OK;
  if (pe_id_set_init(&r.customers, 0) || pe_id_set_init(&r.orders, 0) ||
      pe_id_set_init(&r.category_codes, 0))
    st = pe__fail(PE_ERR_NOMEM, "out of memory");
  if (st == PE_OK) st = pe_line_reader_open(input, &r.lines);
  if (st == PE_OK) st = pe_h5_out_begin(output, (const char *const[]){input, NULL}, NULL, &r.out);
  if (st == PE_OK) {
    pe_record_layout layout = {params->format, params->delimiter};
    st = pe_records_read(r.lines, input, &layout, on_record, &r);
    summary->format = layout.format;
    summary->delimiter = layout.delimiter;
  }
  if (st == PE_OK && params->progress)
    params->progress(params->progress_ctx, pe_line_reader_size(r.lines),
                     pe_line_reader_size(r.lines));
  if (st == PE_OK) st = finish(&r);
  summary->customers = r.customers.count;
  summary->orders = r.orders.count;
  summary->categories = r.category_codes.count;
  pe_tx_writer_free(r.writer);
  pe_h5_out_abort(r.out);
  pe_line_reader_free(r.lines);
  pe_name_codes_free(r.categories);
  pe_id_set_free(&r.customers);
  pe_id_set_free(&r.orders);
  pe_id_set_free(&r.category_codes);
  return st;
}
