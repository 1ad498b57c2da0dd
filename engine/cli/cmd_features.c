/* personae features: per-customer behaviour vectors, scaled for clustering. */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"
#include "core/civil_time.h"
#include "io/h5.h"
#include "personae/features.h"

static void help(void) {
  printf(
      "usage: personae features IN.h5 [options]\n\n"
      "Computes one row per customer of IN.h5 (everyone in /transactions or /sessions)\n"
      "and one column per behaviour feature: recency, frequency, money, discounts,\n"
      "returns, categories, season and, when /sessions exists, web behaviour\n"
      "(docs/features.md has every formula). Writes the /features group of the\n"
      "result file: raw values, the scaled clustering input, and the scaling used.\n"
      "Prints, per feature, the mean, median and 90th percentile over customers\n"
      "that have a value, and the share of customers that have one.\n\n"
      "options:\n"
      "  -o, --out FILE        result file (default IN.personae.h5; other steps' groups kept)\n"
      "      --features a,b,c  compute only these features, in this order (keys:\n"
      "                        personae features --list)\n"
      "      --list            print the feature keys and what they mean, then exit\n"
      "      --as-of DATE      reference date YYYY-MM-DD (00:00 UTC); later rows are ignored\n"
      "                        (default: one day after the latest transaction)\n"
      "      --threads N       threads (default: all cores); never changes the output\n"
      "      --json            print the summary as JSON\n"
      "      --quiet           no progress or log lines on stderr\n"
      "  -h, --help            this help\n");
}

static void list_features(void) {
  for (int k = 0; k < PE_FEATURE_COUNT; k++)
    printf("%-20s %-7s %s%s\n", pe_feature_key((pe_feature)k),
           pe_feature_scaling_of((pe_feature)k) == PE_SCALE_LOG1P ? "log1p" : "linear",
           pe_feature_description((pe_feature)k),
           pe_feature_needs_sessions((pe_feature)k) ? " (needs /sessions)" : "");
}

static int print_table(const pe_features *f, const pe_feature_stats *stats, const char *out,
                       double seconds) {
  pe_features_summary s;
  pe_features_get_summary(f, &s);
  char as_of[16];
  pe_format_iso_date(s.as_of, as_of);
  printf("Features of %lld customers as of %s: %d columns in %.2f s -> %s:/features\n",
         (long long)s.customers, as_of, pe_features_dim(f), seconds, out);
  printf("  transactions %lld rows (%lld after as-of ignored), %lld orders, %lld purchases\n",
         (long long)s.rows, (long long)s.rows_future, (long long)s.orders, (long long)s.purchases);
  if (s.has_sessions)
    printf("  sessions %lld rows (%lld after as-of ignored); %lld purchases inside a session\n",
           (long long)s.session_rows, (long long)s.sessions_future, (long long)s.purchases_matched);
  else
    printf("  no /sessions: web behaviour features are absent\n");
  printf("  customers with a purchase %lld, with sessions %lld\n\n",
         (long long)s.customers_with_purchase, (long long)s.customers_with_sessions);
  printf("  %-20s %12s %12s %12s %8s   (over customers with a value)\n", "feature", "mean",
         "median", "p90", "has");
  for (int j = 0; j < pe_features_dim(f); j++)
    printf("  %-20s %12.4g %12.4g %12.4g %7.1f%%\n", pe_feature_key(pe_features_column(f, j)),
           stats[j].mean, stats[j].median, stats[j].p90, 100.0 * stats[j].share_with_value);
  return 0;
}

static int print_json(const pe_features *f, const pe_feature_stats *stats, const char *out,
                      double seconds) {
  pe_features_summary s;
  pe_features_get_summary(f, &s);
  json_t *cols = json_array();
  for (int j = 0; j < pe_features_dim(f); j++) {
    const pe_feature_stats st = stats[j];
    pe_feature k = pe_features_column(f, j);
    json_array_append_new(
        cols, json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:f}", "name", pe_feature_key(k),
                        "description", pe_feature_description(k), "transform",
                        pe_feature_scaling_of(k) == PE_SCALE_LOG1P ? "log1p" : "linear", "mean",
                        st.mean, "median", st.median, "p90", st.p90, "share_with_value",
                        st.share_with_value, "center", st.center, "scale", st.scale));
  }
  char as_of[16];
  pe_format_iso_date(s.as_of, as_of);
  json_t *root = json_pack(
      "{s:s,s:s,s:I,s:I,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o}", "out", out,
      "as_of_date", as_of, "as_of", (json_int_t)s.as_of, "customers", (json_int_t)s.customers,
      "features", pe_features_dim(f), "has_sessions", s.has_sessions, "rows", (json_int_t)s.rows,
      "rows_future", (json_int_t)s.rows_future, "session_rows", (json_int_t)s.session_rows,
      "sessions_future", (json_int_t)s.sessions_future, "orders", (json_int_t)s.orders, "purchases",
      (json_int_t)s.purchases, "purchases_matched", (json_int_t)s.purchases_matched,
      "customers_with_purchase", (json_int_t)s.customers_with_purchase, "customers_with_sessions",
      (json_int_t)s.customers_with_sessions, "seconds", seconds, "columns", cols);
  pe_cli_print_json(root);
  return 0;
}

int pe_cmd_features(int argc, char **argv) {
  enum { OPT_AS_OF = PE_OPT_FIRST_COMMAND_SPECIFIC, OPT_FEATURES, OPT_LIST };
  static const struct option options[] = {{"as-of", required_argument, NULL, OPT_AS_OF},
                                          {"features", required_argument, NULL, OPT_FEATURES},
                                          {"list", no_argument, NULL, OPT_LIST},
                                          PE_CLI_COMMON_OPTIONS,
                                          {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  pe_features_params params;
  pe_features_params_init(&params);
  pe_feature chosen[PE_FEATURE_COUNT];
  int opt;
  optind = 1;
  while ((opt = pe_cli_next_option(&common, argc, argv, ":o:h", options)) != PE_CLI_OPTIONS_END) {
    switch (opt) {
      case PE_CLI_BAD_VALUE: return 1;
      case 'h': help(); return 0;
      case OPT_LIST: list_features(); return 0;
      case OPT_AS_OF:
        if (pe_parse_iso_date(optarg, &params.as_of) != 0)
          return pe_cli_usage_error("features", "--as-of: '%s' is not a date YYYY-MM-DD", optarg);
        break;
      case OPT_FEATURES:
        if (pe_feature_parse_list(optarg, chosen, &params.nfeatures) != PE_OK)
          return pe_cli_usage_error("features", "--features: %s", personae_last_error());
        params.features = chosen;
        break;
      default: return pe_cli_option_error("features", opt, argv);
    }
  }
  const char *input;
  int rc = pe_cli_single_input("features", argc, argv, "missing input file IN.h5", &input);
  if (rc) return rc;
  char default_out[4096];
  const char *out = pe_cli_result_path(&common, input, default_out, sizeof default_out);
  pe_cli_apply_threads(&common);

  pe_cli_progress progress;
  pe_cli_progress_init(&progress, &common, "features: reading transactions and sessions");
  params.progress = pe_cli_progress_cb;
  params.progress_ctx = &progress;
  double t0 = pe_cli_now();
  pe_features *f = NULL;
  pe_status st = pe_features_compute(input, &params, &f);
  pe_cli_progress_done(&progress);
  const char *inputs[] = {input, NULL};
  if (st == PE_OK) st = pe_features_write(f, out, inputs);
  if (st != PE_OK) {
    pe_features_free(f);
    return pe_cli_fail("features", st);
  }
  double seconds = pe_cli_now() - t0;
  pe_feature_stats stats[PE_FEATURE_COUNT];
  st = pe_features_stats(f, stats);
  if (st != PE_OK) {
    pe_features_free(f);
    return pe_cli_fail("features", st);
  }
  rc = common.json ? print_json(f, stats, out, seconds) : print_table(f, stats, out, seconds);
  pe_features_free(f);
  return rc;
}
