/* Importing a transactions export (CSV or whitespace-separated text, plain or
 * gzip'd) into the `/transactions/` table of a personae HDF5 file.
 *
 * One input row becomes one transaction row (an order line). Columns are
 * picked by header name or by 1-based number; rows that cannot be converted
 * are counted, the first few are described in the summary, and the import
 * goes on (unless `strict`). The output file is written atomically. */
#ifndef PERSONAE_IMPORT_H
#define PERSONAE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PE_IMPORT_FORMAT_AUTO = 0,   /* CSV if the first line holds ',' ';' or TAB, else whitespace */
  PE_IMPORT_FORMAT_CSV,        /* RFC 4180: quoted fields, "" escapes, newlines inside
                                  quotes */
  PE_IMPORT_FORMAT_WHITESPACE, /* fields split on runs of blanks, no quoting
                                  (CDNOW files) */
} pe_import_format;

/* How to read dates written with slashes (`01/02/2011`). Every other form
 * (ISO 8601, YYYY-MM-DD[ HH:MM[:SS]], YYYYMMDD, Unix seconds) is unambiguous
 * and accepted whatever this says. */
typedef enum {
  PE_DATE_MDY = 0, /* MM/DD/YYYY [HH:MM[:SS]] (US; UCI's xlsx exports), the default */
  PE_DATE_DMY,     /* DD/MM/YYYY [HH:MM[:SS]] */
  PE_DATE_UNIX,    /* every value is Unix seconds, even 8-digit ones */
} pe_date_order;

/* Column choices: a header name (matched exactly, then ignoring case, spaces
 * and punctuation: "Customer ID" finds "customer_id"), or a 1-based column
 * number written in decimal ("3"). NULL picks the column from a list of
 * common names (docs/import.md); optional columns are then left out. */
typedef struct {
  pe_import_format format; /* default PE_IMPORT_FORMAT_AUTO */
  char delimiter;          /* CSV delimiter; 0 (default) = detect among , ; TAB */
  int no_header;           /* default 0: the first row names the columns */
  pe_date_order dates;     /* default PE_DATE_MDY */
  int strict;              /* default 0; 1: the first malformed row fails the import */
  int category_numeric;    /* default 0: categories are names mapped to codes
                              0,1,2,... in first-seen order; 1: they are int32
                              numbers kept as is */

  const char *customer_col; /* required (found by name when NULL) */
  const char *time_col;     /* required */
  const char *amount_col;   /* amount; or else quantity x price */
  const char *quantity_col;
  const char *price_col;
  const char *order_col;    /* optional: absent -> one order per row, see order_id docs */
  const char *discount_col; /* optional: absent -> 0 */
  const char *category_col; /* optional: absent -> -1 */

  /* Called now and then with the compressed bytes consumed and the file size
   * (both 0 for a pipe). NULL: no progress. */
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
} pe_import_params;

/* Sets every field to its documented default. */
void pe_import_params_init(pe_import_params *p);

/* Why a row was skipped. X(name, short description). */
#define PE_IMPORT_SKIP_MAP(X)                        \
  X(PE_SKIP_MISSING_CUSTOMER, "missing customer id") \
  X(PE_SKIP_FIELD_COUNT, "wrong number of fields")   \
  X(PE_SKIP_UNCLOSED_QUOTE, "unclosed quote")        \
  X(PE_SKIP_BAD_CUSTOMER, "bad customer id")         \
  X(PE_SKIP_BAD_ORDER, "bad order id")               \
  X(PE_SKIP_BAD_TIME, "bad date")                    \
  X(PE_SKIP_BAD_AMOUNT, "bad amount")                \
  X(PE_SKIP_BAD_QUANTITY, "bad quantity")            \
  X(PE_SKIP_BAD_PRICE, "bad price")                  \
  X(PE_SKIP_BAD_DISCOUNT, "bad discount")            \
  X(PE_SKIP_BAD_CATEGORY, "bad category")

typedef enum {
#define PE__SKIP_ENUM(name, text) name,
  PE_IMPORT_SKIP_MAP(PE__SKIP_ENUM)
#undef PE__SKIP_ENUM
      PE_SKIP_REASON_COUNT
} pe_import_skip_reason;

/* "missing customer id", ... */
const char *pe_import_skip_reason_name(pe_import_skip_reason r);

/* One skipped malformed row, as kept for the report. */
typedef struct {
  int64_t line; /* 1-based line where the row starts */
  pe_import_skip_reason reason;
  char detail[160]; /* e.g. "column 'InvoiceDate': '2011-13-01' is not a date" */
} pe_import_problem;

#define PE_IMPORT_PROBLEMS_KEPT 10

typedef struct {
  int64_t rows_read;     /* data rows seen (after the header) */
  int64_t rows_imported; /* rows written to /transactions */
  int64_t skipped[PE_SKIP_REASON_COUNT];
  int64_t malformed;                       /* sum of skipped[] except PE_SKIP_MISSING_CUSTOMER */
  int64_t customers;                       /* distinct customer ids imported */
  int64_t orders;                          /* distinct order ids imported */
  int64_t categories;                      /* distinct category codes imported (-1 excluded) */
  int64_t first_timestamp, last_timestamp; /* Unix s UTC; 0 when nothing imported */
  double total_amount;                     /* sum of imported amounts, in file order */
  int orders_synthesised;                  /* 1: no order column, one order per imported row */
  pe_import_format format;                 /* what was used after detection */
  char delimiter;                          /* the CSV delimiter used (0 for whitespace) */
  char columns_used[320];                  /* e.g. "customer_id=CustomerID timestamp=InvoiceDate
                                              ..." */
  int problems_kept;                       /* first min(malformed, PE_IMPORT_PROBLEMS_KEPT) */
  pe_import_problem problems[PE_IMPORT_PROBLEMS_KEPT];
} pe_import_summary;

/* Reads `input` (plain or gzip'd) and writes `output` with `/transactions/`:
 * customer_id int64, order_id int64, timestamp int64, amount float64,
 * discount float32, category int32 (+ category_names when categories are
 * names). `output` must differ from `input`; it is replaced atomically.
 * Errors: PE_ERR_USAGE (bad params, a column that is not there: the message
 * lists the header), PE_ERR_DATA (empty input, no row imported, a malformed
 * row when strict: "FILE:LINE: ..."), PE_ERR_IO. `summary` is filled as far
 * as the import went, also on failure. */
pe_status pe_import_csv(const char *input, const char *output, const pe_import_params *params,
                        pe_import_summary *summary);

/* The default output for an input: "online_retail.csv.gz" -> "online_retail.h5"
 * (".gz" then one extension replaced by ".h5", in the same directory). */
void pe_import_default_output(const char *input, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
