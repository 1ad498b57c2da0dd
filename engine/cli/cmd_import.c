/* personae import: a transactions CSV (or whitespace) export -> /transactions/.
 */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"
#include "core/civil_time.h"

/* Malformed rows described on stderr; the summary keeps a few more. */
enum { PROBLEMS_SHOWN = 5 };

static void help(void) {
  printf(
      "usage: personae import [options] INPUT\n\n"
      "Converts a transactions export (CSV or whitespace-separated, plain or "
      ".gz)\n"
      "into the /transactions/ table of an HDF5 file (docs/import.md). One row "
      "per\n"
      "order line; rows without a customer id are skipped and counted, "
      "malformed\n"
      "rows are skipped, counted and the first few reported with their "
      "line.\n\n"
      "columns (a header name, or a 1-based number; unnamed ones are looked "
      "up\n"
      "among common names such as CustomerID, InvoiceDate, InvoiceNo):\n"
      "      --customer-col C  customer id (integer)\n"
      "      --time-col C      date/time: ISO 8601, YYYY-MM-DD[ HH:MM[:SS]], "
      "YYYYMMDD,\n"
      "                        MM/DD/YYYY[ HH:MM], Unix seconds\n"
      "      --amount-col C    line amount; or else:\n"
      "      --quantity-col C  quantity, and\n"
      "      --price-col C     unit price (amount = quantity x price)\n"
      "      --order-col C     order/invoice id (\"C536379\" -> 536379); "
      "without one,\n"
      "                        every row is its own order, numbered in file "
      "order\n"
      "      --discount-col C  discount as a fraction 0..1 or \"15%%\" "
      "(default 0)\n"
      "      --category-col C  category; names (e.g. a StockCode) become codes "
      "0,1,..\n"
      "                        in first-seen order with "
      "/transactions/category_names\n"
      "      --category-numeric  categories are int32 numbers: keep them as "
      "they are\n\n"
      "reading:\n"
      "      --format F        auto (default), csv or whitespace\n"
      "      --delimiter D     CSV delimiter: a character, or tab (default: "
      "detected\n"
      "                        among , ; tab)\n"
      "      --no-header       the first row is data; columns are given by "
      "number\n"
      "      --date-format F   mdy (default: 01/02/2011 is January 2), dmy, or "
      "unix\n"
      "      --strict          the first malformed row is an error (exit 2)\n\n"
      "output:\n"
      "  -o, --out FILE        output HDF5 file (default: INPUT without .gz "
      "and its\n"
      "                        extension, plus .h5); written atomically\n"
      "      --json            print the summary as JSON\n"
      "      --quiet           no progress or notes on stderr\n"
      "  -h, --help            this help\n");
}

static void format_time(int64_t t, char *buf, size_t size) {
  char day[16];
  pe_format_iso_date(t, day);
  int64_t secs = ((t % 86400) + 86400) % 86400;
  snprintf(buf, size, "%s %02d:%02d:%02d", day, (int)(secs / 3600), (int)(secs / 60 % 60),
           (int)(secs % 60));
}

static const char *format_name(pe_import_format f) {
  return f == PE_IMPORT_FORMAT_WHITESPACE ? "whitespace" : "csv";
}

static void print_summary(const pe_import_summary *s, const char *in, const char *out,
                          double seconds) {
  char from[32], to[32];
  format_time(s->first_timestamp, from, sizeof from);
  format_time(s->last_timestamp, to, sizeof to);
  printf("Imported %s into %s in %.2f s\n\n", in, out, seconds);
  printf("  rows read       %lld\n", (long long)s->rows_read);
  printf("  rows imported   %lld\n", (long long)s->rows_imported);
  for (int r = 0; r < PE_SKIP_REASON_COUNT; r++)
    if (s->skipped[r])
      printf("  skipped         %lld  %s\n", (long long)s->skipped[r],
             pe_import_skip_reason_name((pe_import_skip_reason)r));
  printf("  customers       %lld\n", (long long)s->customers);
  printf("  orders          %lld%s\n", (long long)s->orders,
         s->orders_synthesised ? " (one per row: no order column)" : "");
  if (s->categories) printf("  categories      %lld\n", (long long)s->categories);
  printf("  dates           %s .. %s UTC\n", from, to);
  printf("  total amount    %.2f\n", s->total_amount);
  printf("  columns         %s\n", s->columns_used);
}

/* A JSON string of `s`; text that is not valid UTF-8 (a Latin-1 export,
 * say) has its non-ASCII bytes replaced by '?' rather than lost. */
static json_t *json_text(const char *s) {
  json_t *j = json_string(s);
  if (j) return j;
  char buf[1024];
  size_t n = 0;
  for (; *s && n + 1 < sizeof buf; s++) buf[n++] = (unsigned char)*s < 0x80 ? *s : '?';
  buf[n] = '\0';
  return json_string(buf);
}

static void print_json(const pe_import_summary *s, const char *in, const char *out,
                       double seconds) {
  json_t *skipped = json_object();
  for (int r = 0; r < PE_SKIP_REASON_COUNT; r++) {
    char key[64];
    snprintf(key, sizeof key, "%s", pe_import_skip_reason_name((pe_import_skip_reason)r));
    for (char *c = key; *c; c++)
      if (*c == ' ') *c = '_';
    json_object_set_new(skipped, key, json_integer((json_int_t)s->skipped[r]));
  }
  json_t *problems = json_array();
  for (int i = 0; i < s->problems_kept; i++) {
    json_t *p = json_object();
    json_object_set_new(p, "line", json_integer((json_int_t)s->problems[i].line));
    json_object_set_new(p, "reason",
                        json_string(pe_import_skip_reason_name(s->problems[i].reason)));
    json_object_set_new(p, "detail", json_text(s->problems[i].detail));
    json_array_append_new(problems, p);
  }
  char delim[2] = {s->delimiter, '\0'};
  json_t *root = json_object();
  json_object_set_new(root, "input", json_text(in));
  json_object_set_new(root, "output", json_text(out));
  json_object_set_new(root, "format", json_string(format_name(s->format)));
  json_object_set_new(root, "delimiter", json_string(delim));
  json_object_set_new(root, "rows_read", json_integer((json_int_t)s->rows_read));
  json_object_set_new(root, "rows_imported", json_integer((json_int_t)s->rows_imported));
  json_object_set_new(root, "skipped", skipped);
  json_object_set_new(root, "malformed", json_integer((json_int_t)s->malformed));
  json_object_set_new(root, "customers", json_integer((json_int_t)s->customers));
  json_object_set_new(root, "orders", json_integer((json_int_t)s->orders));
  json_object_set_new(root, "categories", json_integer((json_int_t)s->categories));
  json_object_set_new(root, "orders_synthesised", json_boolean(s->orders_synthesised));
  json_object_set_new(root, "first_timestamp", json_integer((json_int_t)s->first_timestamp));
  json_object_set_new(root, "last_timestamp", json_integer((json_int_t)s->last_timestamp));
  json_object_set_new(root, "total_amount", json_real(s->total_amount));
  json_object_set_new(root, "columns", json_text(s->columns_used));
  json_object_set_new(root, "problems", problems);
  json_object_set_new(root, "seconds", json_real(seconds));
  pe_cli_print_json(root);
}

/* The malformed rows on stderr (not under --quiet: they are data problems). */
static void report_problems(const pe_import_summary *s, const char *in) {
  int shown = s->problems_kept < PROBLEMS_SHOWN ? s->problems_kept : PROBLEMS_SHOWN;
  for (int i = 0; i < shown; i++)
    fprintf(stderr, "personae import: %s:%lld: skipped, %s: %s\n", in,
            (long long)s->problems[i].line, pe_import_skip_reason_name(s->problems[i].reason),
            s->problems[i].detail);
  if (s->malformed > shown)
    fprintf(stderr, "personae import: ... and %lld more malformed rows skipped\n",
            (long long)(s->malformed - shown));
}

static int parse_delimiter(const char *arg, char *out) {
  if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0 || strcmp(arg, "\t") == 0)
    *out = '\t';
  else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
    *out = arg[0];
  else
    return -1;
  return 0;
}

int pe_cmd_import(int argc, char **argv) {
  enum {
    OPT_CUSTOMER = PE_OPT_FIRST_COMMAND_SPECIFIC,
    OPT_TIME,
    OPT_AMOUNT,
    OPT_QUANTITY,
    OPT_PRICE,
    OPT_ORDER,
    OPT_DISCOUNT,
    OPT_CATEGORY,
    OPT_CATEGORY_NUMERIC,
    OPT_FORMAT,
    OPT_DELIMITER,
    OPT_NO_HEADER,
    OPT_DATE_FORMAT,
    OPT_STRICT
  };
  static const struct option options[] = {
      {"customer-col", required_argument, NULL, OPT_CUSTOMER},
      {"time-col", required_argument, NULL, OPT_TIME},
      {"amount-col", required_argument, NULL, OPT_AMOUNT},
      {"quantity-col", required_argument, NULL, OPT_QUANTITY},
      {"price-col", required_argument, NULL, OPT_PRICE},
      {"order-col", required_argument, NULL, OPT_ORDER},
      {"discount-col", required_argument, NULL, OPT_DISCOUNT},
      {"category-col", required_argument, NULL, OPT_CATEGORY},
      {"category-numeric", no_argument, NULL, OPT_CATEGORY_NUMERIC},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"delimiter", required_argument, NULL, OPT_DELIMITER},
      {"no-header", no_argument, NULL, OPT_NO_HEADER},
      {"date-format", required_argument, NULL, OPT_DATE_FORMAT},
      {"strict", no_argument, NULL, OPT_STRICT},
      PE_CLI_COMMON_OPTIONS,
      {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  pe_import_params params;
  pe_import_params_init(&params);
  int opt;
  optind = 1;
  while ((opt = pe_cli_next_option(&common, argc, argv, ":o:h", options)) != PE_CLI_OPTIONS_END) {
    switch (opt) {
      case PE_CLI_BAD_VALUE: return 1;
      case 'h': help(); return 0;
      case OPT_CUSTOMER: params.customer_col = optarg; break;
      case OPT_TIME: params.time_col = optarg; break;
      case OPT_AMOUNT: params.amount_col = optarg; break;
      case OPT_QUANTITY: params.quantity_col = optarg; break;
      case OPT_PRICE: params.price_col = optarg; break;
      case OPT_ORDER: params.order_col = optarg; break;
      case OPT_DISCOUNT: params.discount_col = optarg; break;
      case OPT_CATEGORY: params.category_col = optarg; break;
      case OPT_CATEGORY_NUMERIC: params.category_numeric = 1; break;
      case OPT_NO_HEADER: params.no_header = 1; break;
      case OPT_STRICT: params.strict = 1; break;
      case OPT_FORMAT:
        if (strcmp(optarg, "auto") == 0)
          params.format = PE_IMPORT_FORMAT_AUTO;
        else if (strcmp(optarg, "csv") == 0)
          params.format = PE_IMPORT_FORMAT_CSV;
        else if (strcmp(optarg, "whitespace") == 0)
          params.format = PE_IMPORT_FORMAT_WHITESPACE;
        else
          return pe_cli_usage_error("import", "--format: '%s' is not auto, csv or whitespace",
                                    optarg);
        break;
      case OPT_DELIMITER:
        if (parse_delimiter(optarg, &params.delimiter))
          return pe_cli_usage_error("import", "--delimiter: '%s' is not one character or 'tab'",
                                    optarg);
        break;
      case OPT_DATE_FORMAT:
        if (strcmp(optarg, "mdy") == 0 || strcmp(optarg, "auto") == 0)
          params.dates = PE_DATE_MDY;
        else if (strcmp(optarg, "dmy") == 0)
          params.dates = PE_DATE_DMY;
        else if (strcmp(optarg, "unix") == 0)
          params.dates = PE_DATE_UNIX;
        else
          return pe_cli_usage_error("import", "--date-format: '%s' is not mdy, dmy or unix",
                                    optarg);
        break;
      default: return pe_cli_option_error("import", opt, argv);
    }
  }
  const char *input;
  int rc = pe_cli_single_input("import", argc, argv, "no INPUT file given", &input);
  if (rc) return rc;
  if (params.delimiter && params.format == PE_IMPORT_FORMAT_WHITESPACE)
    return pe_cli_usage_error("import", "--delimiter does not apply to --format whitespace");
  char out[4096];
  if (common.out)
    snprintf(out, sizeof out, "%s", common.out);
  else
    pe_import_default_output(input, out, sizeof out);

  pe_cli_progress progress;
  pe_cli_progress_init(&progress, &common, "importing (bytes read)");
  params.progress = pe_cli_progress_cb;
  params.progress_ctx = &progress;
  pe_import_summary summary;
  double t0 = pe_cli_now();
  pe_status st = pe_import_csv(input, out, &params, &summary);
  double seconds = pe_cli_now() - t0;
  pe_cli_progress_done(&progress);
  if (st != PE_OK) {
    if (!params.strict) report_problems(&summary, input);
    return pe_cli_fail("import", st);
  }
  report_problems(&summary, input);
  if (common.json)
    print_json(&summary, input, out, seconds);
  else
    print_summary(&summary, input, out, seconds);
  return 0;
}
