/* personae rfm: recency / frequency / monetary scores and named segments. */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"
#include "core/civil_time.h"
#include "io/h5.h"

static void help(void) {
  printf(
      "usage: personae rfm IN.h5 [options]\n\n"
      "Scores every customer of IN.h5's /transactions on recency, frequency and\n"
      "monetary value (quantile scores 1..B, like pandas' qcut of rank(method=\"first\")),\n"
      "names a segment for each, and writes the /rfm group of the result file\n"
      "(docs/rfm.md). Prints a segment table and the cut points of each score.\n\n"
      "options:\n"
      "  -o, --out FILE      result file (default IN.personae.h5; other steps' groups kept)\n"
      "      --as-of DATE    reference date YYYY-MM-DD (00:00 UTC); later rows are ignored\n"
      "                      (default: one day after the latest transaction)\n"
      "      --bins B        scores per dimension, 2..100 (default 5)\n"
      "      --segments FILE segment rules (format in docs/rfm.md; default: the R x F map)\n"
      "      --no-sessions   do not add customers seen only in /sessions\n"
      "      --threads N     threads (default: all cores); never changes the output\n"
      "      --json          print the summary as JSON\n"
      "      --quiet         no progress or log lines on stderr\n"
      "  -h, --help          this help\n");
}

static const char *const dim_names[3] = {"recency_days", "frequency", "monetary"};

/* Warnings about the segment map are printed even with --quiet: they say
 * that some customers land in "Others" or that a rule never applies. */
static void warn_map(const pe_rfm_segment_map *map, const char *source) {
  int cells[125], codes[256];
  int nc = pe_rfm_segment_map_unassigned_cells(map, cells, 125);
  if (nc > 0) {
    fprintf(stderr,
            "personae rfm: warning: %s: %d (R,F,M) cell%s reached by no rule go to "
            "\"Others\":",
            source, nc, nc == 1 ? "" : "s");
    for (int i = 0; i < nc; i++) fprintf(stderr, " %03d", cells[i]);
    fprintf(stderr, "\n");
  }
  int nu = pe_rfm_segment_map_unreachable_segments(map, codes, 256);
  for (int i = 0; i < nu && i < 256; i++)
    fprintf(stderr,
            "personae rfm: warning: %s: segment \"%s\" is reached by no cell (earlier "
            "rules take all of its cells)\n",
            source, pe_rfm_segment_map_name(map, codes[i]));
}

static void print_table(const pe_rfm_result *res, const char *out, double seconds) {
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  char as_of[16], first[16], last[16];
  pe_format_iso_date(s.as_of, as_of);
  pe_format_iso_date(s.first_timestamp, first);
  pe_format_iso_date(s.last_timestamp, last);
  printf("RFM of %lld customers as of %s (%lld scored, bins %d) in %.2f s -> %s:/rfm\n",
         (long long)s.customers, as_of, (long long)s.customers_scored, s.bins, seconds, out);
  printf("  rows %lld (%lld after as-of ignored), orders %lld, transactions %s .. %s\n",
         (long long)s.rows, (long long)s.rows_future, (long long)s.orders, first, last);
  if (s.customers_from_sessions_only)
    printf("  %lld customers appear only in /sessions (No Purchase)\n",
           (long long)s.customers_from_sessions_only);
  printf("\n  %-22s %10s %7s %15s %8s %6s %6s %6s\n", "segment", "customers", "share", "revenue",
         "rev.share", "mean R", "mean F", "mean M");
  int n = pe_rfm_result_segment_count(res);
  for (int c = 0; c < n; c++) {
    pe_rfm_segment_stats g;
    pe_rfm_result_segment(res, c, &g);
    printf("  %-22s %10lld %6.1f%% %15.2f %7.1f%% %6.2f %6.2f %6.2f\n", g.name,
           (long long)g.customers,
           s.customers ? 100.0 * (double)g.customers / (double)s.customers : 0, g.revenue,
           s.revenue != 0 ? 100.0 * g.revenue / s.revenue : 0.0, g.mean_r, g.mean_f, g.mean_m);
  }
  printf(
      "\n  cut points (min .. max raw value of each score; recency reversed: %d = most recent)\n",
      s.bins);
  for (int d = 0; d < 3; d++) {
    printf("  %-13s", dim_names[d]);
    for (int score = 1; score <= s.bins; score++) {
      double lo, hi;
      int64_t cnt;
      pe_rfm_result_bounds(res, d, score, &lo, &hi, &cnt);
      if (cnt == 0)
        printf("  %d: -", score);
      else if (d == 2)
        printf("  %d: %.2f..%.2f", score, lo, hi);
      else
        printf("  %d: %.0f..%.0f", score, lo, hi);
    }
    printf("\n");
  }
}

/* Wall seconds of the computation's steps and of writing /rfm. */
static json_t *steps_json(const pe_rfm_result *res, double write_seconds) {
  pe_rfm_seconds t;
  pe_rfm_result_seconds(res, &t);
  return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "read", t.read, "check", t.check,
                   "group", t.group, "aggregate", t.aggregate, "resolve", t.resolve, "sort", t.sort,
                   "fill", t.fill, "score", t.score, "write", write_seconds);
}

static void print_json(const pe_rfm_result *res, const char *out, double seconds,
                       double write_seconds) {
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  json_t *segs = json_array();
  int n = pe_rfm_result_segment_count(res);
  for (int c = 0; c < n; c++) {
    pe_rfm_segment_stats g;
    pe_rfm_result_segment(res, c, &g);
    json_array_append_new(
        segs, json_pack("{s:i,s:s,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "code", c, "name",
                        g.name, "customers", (json_int_t)g.customers, "share",
                        s.customers ? (double)g.customers / (double)s.customers : 0.0, "revenue",
                        g.revenue, "revenue_share", s.revenue != 0 ? g.revenue / s.revenue : 0.0,
                        "mean_r", g.mean_r, "mean_f", g.mean_f, "mean_m", g.mean_m,
                        "mean_recency_days", g.mean_recency_days, "mean_frequency",
                        g.mean_frequency, "mean_monetary", g.mean_monetary));
  }
  json_t *cuts = json_object();
  for (int d = 0; d < 3; d++) {
    json_t *arr = json_array();
    for (int score = 1; score <= s.bins; score++) {
      double lo, hi;
      int64_t cnt;
      pe_rfm_result_bounds(res, d, score, &lo, &hi, &cnt);
      json_array_append_new(arr, json_pack("{s:i,s:I,s:f,s:f}", "score", score, "customers",
                                           (json_int_t)cnt, "min", lo, "max", hi));
    }
    json_object_set_new(cuts, dim_names[d], arr);
  }
  char as_of[16];
  pe_format_iso_date(s.as_of, as_of);
  json_t *root = json_pack(
      "{s:s,s:s,s:I,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:o,s:o,s:o}", "out", out, "as_of_date",
      as_of, "as_of", (json_int_t)s.as_of, "bins", s.bins, "rows", (json_int_t)s.rows,
      "rows_future", (json_int_t)s.rows_future, "orders", (json_int_t)s.orders, "customers",
      (json_int_t)s.customers, "customers_scored", (json_int_t)s.customers_scored,
      "customers_from_sessions_only", (json_int_t)s.customers_from_sessions_only, "revenue",
      s.revenue, "seconds", seconds, "segments", segs, "cut_points", cuts, "steps",
      steps_json(res, write_seconds));
  pe_cli_print_json(root);
}

int pe_cmd_rfm(int argc, char **argv) {
  enum { OPT_AS_OF = PE_OPT_FIRST_COMMAND_SPECIFIC, OPT_BINS, OPT_SEGMENTS, OPT_NO_SESSIONS };
  static const struct option options[] = {{"as-of", required_argument, NULL, OPT_AS_OF},
                                          {"bins", required_argument, NULL, OPT_BINS},
                                          {"segments", required_argument, NULL, OPT_SEGMENTS},
                                          {"no-sessions", no_argument, NULL, OPT_NO_SESSIONS},
                                          PE_CLI_COMMON_OPTIONS,
                                          {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  pe_rfm_params params;
  pe_rfm_params_init(&params);
  const char *segments_file = NULL;
  int opt;
  int64_t v;
  optind = 1;
  while ((opt = pe_cli_next_option(&common, argc, argv, ":o:h", options)) != PE_CLI_OPTIONS_END) {
    switch (opt) {
      case PE_CLI_BAD_VALUE: return 1;
      case 'h': help(); return 0;
      case OPT_AS_OF:
        if (pe_rfm_parse_date(optarg, &params.as_of) != PE_OK)
          return pe_cli_usage_error("rfm", "--as-of: '%s' is not a date YYYY-MM-DD", optarg);
        break;
      case OPT_BINS:
        if (pe_cli_parse_i64("bins", optarg, 2, 100, &v)) return 1;
        params.bins = (int)v;
        break;
      case OPT_SEGMENTS: segments_file = optarg; break;
      case OPT_NO_SESSIONS: params.include_sessions = 0; break;
      default: return pe_cli_option_error("rfm", opt, argv);
    }
  }
  const char *input;
  int rc = pe_cli_single_input("rfm", argc, argv, "missing input file IN.h5", &input);
  if (rc) return rc;
  char default_out[4096];
  const char *out = pe_cli_result_path(&common, input, default_out, sizeof default_out);
  pe_cli_apply_threads(&common);

  pe_rfm_segment_map *map = NULL;
  pe_status st = segments_file ? pe_rfm_segment_map_load(segments_file, &map)
                               : pe_rfm_segment_map_default(&map);
  if (st != PE_OK) return pe_cli_fail("rfm", st);
  warn_map(map, segments_file ? segments_file : "default map");
  params.segments = map;

  pe_cli_progress progress;
  pe_cli_progress_init(&progress, &common, "rfm: reading transactions");
  params.progress = pe_cli_progress_cb;
  params.progress_ctx = &progress;
  double t0 = pe_cli_now();
  pe_rfm_result *res = NULL;
  st = pe_rfm_compute(input, &params, &res);
  pe_cli_progress_done(&progress);
  const double tw = pe_cli_now();
  if (st == PE_OK) st = pe_rfm_write(res, out, input);
  const double write_seconds = pe_cli_now() - tw;
  pe_rfm_segment_map_free(map);
  if (st != PE_OK) {
    pe_rfm_result_free(res);
    return pe_cli_fail("rfm", st);
  }
  double seconds = pe_cli_now() - t0;
  pe_rfm_seconds t;
  pe_rfm_result_seconds(res, &t);
  pe_cli_log(&common,
             "personae rfm: read %.2f s, checks %.2f s, grouping %.2f s, group-by %.2f s, "
             "resolving orders %.2f s, sorting ids %.2f s, filling %.2f s, scoring %.2f s, "
             "writing %.2f s",
             t.read, t.check, t.group, t.aggregate, t.resolve, t.sort, t.fill, t.score,
             write_seconds);
  if (common.json)
    print_json(res, out, seconds, write_seconds);
  else
    print_table(res, out, seconds);
  pe_rfm_result_free(res);
  return 0;
}
