/* personae inspect: validate an input file and summarise what is in it. */
#include <getopt.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/civil_time.h"
#include "personae/inspect.h"

static void help(void) {
  printf(
      "usage: personae inspect IN.h5 [--json]\n\n"
      "Checks IN.h5 against the data format (docs/format.md): required columns,\n"
      "dtypes, equal column lengths, a non-empty /transactions, finite amounts;\n"
      "then summarises it: customers, orders, revenue, period, sessions and,\n"
      "for synthetic data, the planted archetype mix.\n");
}

static void print_text(const char *path, const pe_data_summary *s) {
  char from[16], to[16];
  pe_format_iso_date(s->first_time, from);
  pe_format_iso_date(s->last_time, to);
  printf("%s\n", path);
  printf("  transactions  %lld rows, %lld orders, %lld customers, %lld return rows\n",
         (long long)s->transaction_rows, (long long)s->orders, (long long)s->customers,
         (long long)s->return_rows);
  printf("  revenue       %.2f\n", s->revenue);
  printf("  period        %s .. %s\n", from, to);
  if (s->has_sessions)
    printf("  sessions      %lld rows, %lld customers\n", (long long)s->sessions,
           (long long)s->session_customers);
  else
    printf("  sessions      none (transaction-only data)\n");
  if (s->has_customers) printf("  demographics  %lld customers\n", (long long)s->customer_rows);
  if (s->has_truth) {
    int64_t total = 0;
    for (int k = 0; k < PE_ARCHETYPE_COUNT; k++) total += s->truth_counts[k];
    printf("  planted archetypes:\n");
    for (int k = 0; k < PE_ARCHETYPE_COUNT; k++)
      printf("    %-38s %9lld %6.1f%%\n", pe_archetype_label(k), (long long)s->truth_counts[k],
             total ? 100.0 * (double)s->truth_counts[k] / (double)total : 0.0);
  }
}

static void print_json(const char *path, const pe_data_summary *s) {
  json_t *root =
      json_pack("{s:s,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:b}", "file", path, "transaction_rows",
                (json_int_t)s->transaction_rows, "orders", (json_int_t)s->orders, "customers",
                (json_int_t)s->customers, "return_rows", (json_int_t)s->return_rows, "revenue",
                s->revenue, "first_time", (json_int_t)s->first_time, "last_time",
                (json_int_t)s->last_time, "has_sessions", s->has_sessions);
  if (s->has_sessions) {
    json_object_set_new(root, "sessions", json_integer(s->sessions));
    json_object_set_new(root, "session_customers", json_integer(s->session_customers));
  }
  if (s->has_truth) {
    json_t *mix = json_object();
    for (int k = 0; k < PE_ARCHETYPE_COUNT; k++)
      json_object_set_new(mix, pe_archetype_key(k), json_integer(s->truth_counts[k]));
    json_object_set_new(root, "planted_archetypes", mix);
  }
  pe_cli_print_json(root);
}

int pe_cmd_inspect(int argc, char **argv) {
  static const struct option options[] = {PE_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  int opt;
  optind = 1;
  while ((opt = pe_cli_next_option(&common, argc, argv, ":o:h", options)) != PE_CLI_OPTIONS_END) {
    if (opt == PE_CLI_BAD_VALUE) return 1;
    if (opt == 'h') {
      help();
      return 0;
    }
    return pe_cli_option_error("inspect", opt, argv);
  }
  if (optind != argc - 1) return pe_cli_usage_error("inspect", "expected one input file");
  const char *path = argv[optind];
  pe_data_summary summary;
  pe_status st = pe_inspect(path, &summary);
  if (st != PE_OK) return pe_cli_fail("inspect", st);
  if (common.json)
    print_json(path, &summary);
  else
    print_text(path, &summary);
  return 0;
}
