/* personae generate: a synthetic marketplace with planted archetypes. */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"
#include "core/civil_time.h"

static void help(void) {
  printf(
      "usage: personae generate --customers N --out FILE [options]\n\n"
      "Writes a synthetic marketplace: /transactions, /sessions (web behaviour),\n"
      "/customers (demographics) and /truth (the planted archetype of each customer),\n"
      "with ten shopper archetypes in fixed proportions (docs/format.md).\n\n"
      "options:\n"
      "  -n, --customers N   number of customers (required)\n"
      "  -o, --out FILE      output HDF5 file (required; written atomically)\n"
      "      --seed S        random seed (default 42); same seed, same bytes\n"
      "      --days D        length of the period in days (default 730)\n"
      "      --end DATE      end of the period, YYYY-MM-DD (default 2026-01-01)\n"
      "      --no-sessions   do not write /sessions (transaction-only data)\n"
      "      --no-customers  do not write /customers\n"
      "      --threads N     threads (default: all cores); never changes the output\n"
      "      --json          print the summary as JSON\n"
      "      --quiet         no progress on stderr\n"
      "  -h, --help          this help\n");
}

static void print_summary(const pe_generate_summary *s, const char *path, double seconds) {
  char from[16], to[16];
  pe_format_iso_date(s->start_time, from);
  pe_format_iso_date(s->end_time - 1, to);
  printf("Wrote %s in %.1f s\n\n", path, seconds);
  printf("  period        %s .. %s\n", from, to);
  printf("  customers     %lld (%lld buyers, %.1f%%)\n", (long long)s->customers,
         (long long)s->buyers, 100.0 * (double)s->buyers / (double)s->customers);
  printf("  orders        %lld (%lld order lines, %lld returns)\n", (long long)s->orders,
         (long long)s->transaction_rows, (long long)s->return_rows);
  printf("  sessions      %lld\n", (long long)s->sessions);
  printf("  revenue       %.2f (%.2f per buyer)\n\n", s->revenue,
         s->buyers ? s->revenue / (double)s->buyers : 0.0);
  printf("  %-38s %9s %7s %9s\n", "planted archetype", "customers", "share", "revenue");
  for (int k = 0; k < PE_ARCHETYPE_COUNT; k++)
    printf("  %-38s %9lld %6.1f%% %8.1f%%\n", pe_archetype_label(k),
           (long long)s->archetype_customers[k],
           100.0 * (double)s->archetype_customers[k] / (double)s->customers,
           s->revenue != 0 ? 100.0 * s->archetype_revenue[k] / s->revenue : 0.0);
}

static void print_json(const pe_generate_summary *s, const char *path, double seconds) {
  json_t *mix = json_object();
  for (int k = 0; k < PE_ARCHETYPE_COUNT; k++)
    json_object_set_new(mix, pe_archetype_key(k),
                        json_pack("{s:I,s:f}", "customers", (json_int_t)s->archetype_customers[k],
                                  "revenue", s->archetype_revenue[k]));
  json_t *root =
      json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:f,s:o}", "file", path, "customers",
                (json_int_t)s->customers, "buyers", (json_int_t)s->buyers, "orders",
                (json_int_t)s->orders, "transaction_rows", (json_int_t)s->transaction_rows,
                "return_rows", (json_int_t)s->return_rows, "sessions", (json_int_t)s->sessions,
                "revenue", s->revenue, "start_time", (json_int_t)s->start_time, "end_time",
                (json_int_t)s->end_time, "seconds", seconds, "archetypes", mix);
  pe_cli_print_json(root);
}

int pe_cmd_generate(int argc, char **argv) {
  enum { OPT_DAYS = PE_OPT_FIRST_COMMAND_SPECIFIC, OPT_END, OPT_NO_SESSIONS, OPT_NO_CUSTOMERS };
  static const struct option options[] = {{"customers", required_argument, NULL, 'n'},
                                          {"days", required_argument, NULL, OPT_DAYS},
                                          {"end", required_argument, NULL, OPT_END},
                                          {"no-sessions", no_argument, NULL, OPT_NO_SESSIONS},
                                          {"no-customers", no_argument, NULL, OPT_NO_CUSTOMERS},
                                          PE_CLI_COMMON_OPTIONS,
                                          {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  pe_generate_params params;
  pe_generate_params_default(&params);
  int opt, have_customers = 0;
  int64_t v;
  optind = 1;
  while ((opt = pe_cli_next_option(&common, argc, argv, ":n:o:h", options)) != PE_CLI_OPTIONS_END) {
    switch (opt) {
      case PE_CLI_BAD_VALUE: return 1;
      case 'h': help(); return 0;
      case 'n':
        if (pe_cli_parse_i64("customers", optarg, 1, 1ll << 32, &params.customers)) return 1;
        have_customers = 1;
        break;
      case OPT_DAYS:
        if (pe_cli_parse_i64("days", optarg, 60, 3650, &v)) return 1;
        params.days = (int)v;
        break;
      case OPT_END:
        if (pe_parse_iso_date(optarg, &params.end_time))
          return pe_cli_usage_error("generate", "--end: '%s' is not a date YYYY-MM-DD", optarg);
        break;
      case OPT_NO_SESSIONS: params.with_sessions = 0; break;
      case OPT_NO_CUSTOMERS: params.with_customers = 0; break;
      default: return pe_cli_option_error("generate", opt, argv);
    }
  }
  if (optind < argc)
    return pe_cli_usage_error("generate", "unexpected argument '%s'", argv[optind]);
  if (!have_customers) return pe_cli_usage_error("generate", "--customers N is required");
  if (!common.out) return pe_cli_usage_error("generate", "--out FILE is required");
  params.seed = common.seed;
  params.threads = common.threads;
  pe_cli_apply_threads(&common);
  pe_cli_progress progress;
  pe_cli_progress_init(&progress, &common, "generating customers");
  params.progress = pe_cli_progress_cb;
  params.progress_ctx = &progress;

  pe_generate_summary summary;
  double t0 = pe_cli_now();
  pe_status st = pe_generate(common.out, &params, &summary);
  pe_cli_progress_done(&progress);
  if (st != PE_OK) return pe_cli_fail("generate", st);
  double seconds = pe_cli_now() - t0;
  if (common.json)
    print_json(&summary, common.out, seconds);
  else
    print_summary(&summary, common.out, seconds);
  return 0;
}
