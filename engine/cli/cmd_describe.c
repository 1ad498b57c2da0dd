/* personae describe: turn the clusters of a results file into personas. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "io/h5.h"

static const char usage_text[] =
    "usage: personae describe IN.h5 [options]\n"
    "\n"
    "Describes each cluster of the results file (its /features and /kmeans, and\n"
    "/rfm when present; /customers of IN.h5 when present) as a shopper persona:\n"
    "archetype, name, defining traits, size and revenue, RFM mix, demographics,\n"
    "recommended marketing actions, and the focus personas that cover most of the\n"
    "revenue (docs/personas.md). Writes /personas (customer_id -> persona, and the\n"
    "persona table) to the results file and prints Markdown (or --json).\n"
    "\n"
    "options:\n"
    "  -o, --out FILE      results file (default: IN.personae.h5)\n"
    "      --html FILE     also write a self-contained HTML report (cards + SVG charts)\n"
    "      --kmeans FILE   take the cluster labels from FILE:/kmeans (default: the results\n"
    "                      file; `personae cluster IN.personae.h5 ...` writes its model to\n"
    "                      IN.personae.personae.h5)\n"
    "      --focus SHARE   focus personas cover at least this share of revenue (default 0.8)\n"
    "      --json          print the personas as JSON (stable keys) instead of Markdown\n"
    "      --threads N     threads (default: all cores)\n"
    "      --quiet         no log lines on stderr\n"
    "  -h, --help          this help\n";

enum { OPT_HTML = PE_OPT_FIRST_COMMAND_SPECIFIC, OPT_FOCUS, OPT_KMEANS };

int pe_cmd_describe(int argc, char **argv) {
  static const struct option options[] = {PE_CLI_COMMON_OPTIONS,
                                          {"html", required_argument, NULL, OPT_HTML},
                                          {"focus", required_argument, NULL, OPT_FOCUS},
                                          {"kmeans", required_argument, NULL, OPT_KMEANS},
                                          {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  const char *html = NULL, *kmeans = NULL;
  pe_persona_params params = pe_persona_params_default();
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
    const int c = pe_cli_common_option(&common, opt, optarg);
    if (c < 0) return 1;
    if (c) continue;
    switch (opt) {
      case 'h': fputs(usage_text, stdout); return 0;
      case OPT_HTML: html = optarg; break;
      case OPT_KMEANS: kmeans = optarg; break;
      case OPT_FOCUS:
        if (pe_cli_parse_double("focus", optarg, 0.01, 1.0, &params.focus_revenue_share)) return 1;
        break;
      default: return pe_cli_option_error("describe", opt, argv);
    }
  }
  if (optind != argc - 1) return pe_cli_usage_error("describe", "expected exactly one input file");
  const char *input = argv[optind];
  char results[4096];
  if (common.out)
    snprintf(results, sizeof results, "%s", common.out);
  else
    pe_default_result_path(input, results, sizeof results);
  if (strcmp(results, input) == 0 || pe_same_file(results, input))
    return pe_cli_usage_error("describe",
                              "%s: refusing to write results into the input file; choose another "
                              "--out",
                              results);
  if (kmeans && strcmp(kmeans, results) == 0) kmeans = NULL;
  pe_cli_apply_threads(&common);

  pe_persona_data *data = NULL;
  pe_persona_report *report = NULL;
  char *text = NULL;
  int rc = 0;
  const double t0 = pe_cli_now();
  /* A report that cannot be written fails before /personas is saved. */
  pe_status st =
      html ? pe_persona_check_text_path(html, (const char *[]){input, results, kmeans, NULL})
           : PE_OK;
  if (st == PE_OK) st = pe_persona_data_load(input, results, kmeans, &data);
  if (st == PE_OK) st = pe_persona_describe(pe_persona_data_input(data), &params, &report);
  if (st == PE_OK)
    st = pe_persona_report_save(report, pe_persona_data_input(data), results,
                                (const char *[]){input, kmeans, NULL});
  if (st == PE_OK && html) st = pe_persona_report_html(report, "Personas", &text);
  if (st == PE_OK && html)
    st = pe_persona_write_text_file(html, text, (const char *[]){input, results, kmeans, NULL});
  if (st != PE_OK) {
    rc = pe_cli_fail_naming("describe", input, st);
    goto done;
  }
  free(text);
  text = NULL;
  st = common.json ? pe_persona_report_json(report, &text)
                   : pe_persona_report_markdown(report, &text);
  if (st != PE_OK) {
    rc = pe_cli_fail_naming("describe", input, st);
    goto done;
  }
  fputs(text, stdout);
  if (common.json) fputc('\n', stdout);
  pe_cli_log(&common,
             "personae describe: %d personas of %lld customers in %.2f s -> %s:/personas%s%s",
             pe_persona_report_count(report), (long long)pe_persona_data_input(data)->n,
             pe_cli_now() - t0, results, html ? ", " : "", html ? html : "");
done:
  free(text);
  pe_persona_report_free(report);
  pe_persona_data_free(data);
  return rc;
}
