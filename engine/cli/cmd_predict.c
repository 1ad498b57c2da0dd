/* personae predict: assign new vectors to the centroids of a saved model. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/h5.h"

static const char usage_text[] =
    "usage: personae predict MODEL.h5 IN.h5 --dataset /path [options]\n"
    "\n"
    "Assigns every row of the N x D matrix IN.h5:/path to the nearest centroid\n"
    "of the k-means model in MODEL.h5:/kmeans (written by 'personae cluster').\n"
    "Labels (int32) and squared distances (float32) go to group /predict of\n"
    "the results file.\n"
    "\n"
    "options:\n"
    "  -d, --dataset PATH   the N x D matrix (required; D must match the model)\n"
    "  -o, --out FILE       results file (default: IN.personae.h5 beside IN, other groups\n"
    "                       kept; IN itself when IN is a results file *.personae.h5)\n"
    "      --threads T      OpenMP threads (default: all cores)\n"
    "      --json           print a summary as JSON on stdout\n"
    "      --quiet          no log lines\n";

int pe_cmd_predict(int argc, char **argv) {
  static const struct option options[] = {
      PE_CLI_COMMON_OPTIONS, {"dataset", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
  pe_cli_common c;
  pe_cli_common_init(&c);
  const char *dataset = NULL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":d:o:h", options, NULL)) != -1) {
    int common = pe_cli_common_option(&c, opt, optarg);
    if (common < 0) return 1;
    if (common) continue;
    switch (opt) {
      case 'h': fputs(usage_text, stdout); return 0;
      case 'd': dataset = optarg; break;
      default: return pe_cli_option_error("predict", opt, argv);
    }
  }
  if (optind != argc - 2) return pe_cli_usage_error("predict", "expected MODEL.h5 and IN.h5");
  const char *model_path = argv[optind], *input = argv[optind + 1];
  if (!dataset) return pe_cli_usage_error("predict", "--dataset is required");
  char out_path[4096];
  const int in_place = pe_cli_output_for(&c, input, out_path, sizeof out_path);
  pe_cli_apply_threads(&c);
  pe_cli_warn_kernel_env();

  pe_kmeans_model *m = NULL;
  float *x = NULL, *dist = NULL;
  int32_t *labels = NULL;
  int64_t n = 0;
  int d = 0, rc = 0;
  double t0 = pe_cli_now();
  pe_status st = pe_kmeans_model_load(model_path, &m);
  if (st == PE_OK) st = pe_kmeans_read_matrix(input, dataset, &x, &n, &d);
  if (st != PE_OK) {
    rc = pe_cli_fail("predict", st);
    goto done;
  }
  if (d != pe_kmeans_model_d(m)) {
    rc = pe_cli_usage_error("predict", "%s:%s has %d columns but the model in %s has %d", input,
                            dataset, d, model_path, pe_kmeans_model_d(m));
    goto done;
  }
  double io_seconds = pe_cli_now() - t0;
  labels = malloc((size_t)n * sizeof *labels);
  dist = malloc((size_t)n * sizeof *dist);
  if (!labels || !dist) {
    fprintf(stderr, "personae predict: error: out of memory for %lld labels\n", (long long)n);
    rc = personae_exit_code(PE_ERR_NOMEM);
    goto done;
  }
  double t1 = pe_cli_now();
  st = pe_kmeans_predict(m, x, n, d, c.threads, labels, dist);
  double seconds = pe_cli_now() - t1;
  char source[4200];
  snprintf(source, sizeof source, "%s:%s", input, dataset);
  /* A results file updated in place (it may hold the model too) is read
   * whole before the atomic write. */
  const char *inputs[3] = {NULL, NULL, NULL};
  int ninputs = 0;
  if (!in_place) inputs[ninputs++] = input;
  if (!in_place || !pe_same_file(model_path, input)) inputs[ninputs++] = model_path;
  if (st == PE_OK)
    st = pe_kmeans_predictions_save(out_path, inputs, model_path, source, n, labels, dist);
  if (st != PE_OK) {
    rc = pe_cli_fail("predict", st);
    goto done;
  }
  io_seconds += pe_cli_now() - t1 - seconds;
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) total += dist[i];
  if (c.json) {
    json_t *j =
        json_pack("{s:I, s:i, s:f, s:f, s:f}", "n", (json_int_t)n, "k", pe_kmeans_model_k(m),
                  "sq_dist_sum", total, "seconds", seconds, "io_seconds", io_seconds);
    char *s = json_dumps(j, JSON_REAL_PRECISION(17));
    if (s) puts(s);
    free(s);
    json_decref(j);
  } else {
    printf(
        "predict: %lld points assigned to %d clusters (sum of squared distances %.10g); "
        "written to %s:/predict\n",
        (long long)n, pe_kmeans_model_k(m), total, out_path);
  }
done:
  pe_kmeans_model_free(m);
  free(x);
  free(labels);
  free(dist);
  return rc;
}
