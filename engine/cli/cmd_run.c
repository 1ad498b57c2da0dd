/* personae run: rfm -> features -> cluster -> describe in one process, every
 * group written to the results file in one atomic update. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "io/h5.h"
#include "io/results_writer.h"
#include "personae/features.h"

static const char usage_text[] =
    "usage: personae run IN.h5 [-k auto|K] [--html report.html] [options]\n"
    "\n"
    "The whole pipeline: RFM scores and segments, per-customer features, k-means\n"
    "on the scaled features (choosing K on a sample with -k auto), and persona\n"
    "descriptions (docs/personas.md). Writes /rfm, /features, /kmeans and\n"
    "/personas to the results file and prints the personas as Markdown (or --json).\n"
    "\n"
    "options:\n"
    "  -k K|auto           clusters, or auto (default): the K in --k-range with the\n"
    "                      highest simplified silhouette on the sample\n"
    "      --k-range A..B  range tried by auto (default 3..12)\n"
    "      --sample N      customers sampled to choose K and run the restarts (default 50000)\n"
    "      --n-init R      k-means++ restarts on the sample (default 4)\n"
    "      --max-iter N    Lloyd iterations per run (default 100)\n"
    "      --kernel NAME   k-means kernel: auto (default), scalar, avx2, avx512, blas\n"
    "      --html FILE     also write a self-contained HTML report\n"
    "      --focus SHARE   focus personas cover at least this share of revenue (default 0.8)\n"
    "  -o, --out FILE      results file (default: IN.personae.h5)\n"
    "      --seed S        random seed (default 42)\n"
    "      --threads N     threads (default: all cores); never changes the output\n"
    "      --json          print the personas, K curve and timings as JSON\n"
    "      --quiet         no log lines on stderr\n"
    "  -h, --help          this help\n";

enum {
  OPT_HTML = PE_OPT_FIRST_COMMAND_SPECIFIC,
  OPT_FOCUS,
  OPT_K_RANGE,
  OPT_SAMPLE,
  OPT_N_INIT,
  OPT_MAX_ITER,
  OPT_KERNEL
};

typedef struct {
  pe_cli_common common;
  const char *input, *html;
  pe_persona_cluster_params cluster;
  pe_persona_params describe;
} run_args;

static int parse_range(const char *arg, int *lo, int *hi) {
  int64_t a, b;
  const char *dots = strstr(arg, "..");
  if (!dots || dots == arg)
    return pe_cli_usage_error("run", "--k-range: expected A..B, got '%s'", arg);
  char first[32];
  const size_t len = (size_t)(dots - arg);
  if (len >= sizeof first) return pe_cli_usage_error("run", "--k-range: '%s' is too long", arg);
  memcpy(first, arg, len);
  first[len] = '\0';
  if (pe_cli_parse_i64("k-range", first, 2, 64, &a) ||
      pe_cli_parse_i64("k-range", dots + 2, 2, 64, &b))
    return 1;
  if (a > b)
    return pe_cli_usage_error("run", "--k-range: %lld..%lld is empty", (long long)a, (long long)b);
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

static int parse_args(int argc, char **argv, run_args *a) {
  static const struct option options[] = {PE_CLI_COMMON_OPTIONS,
                                          {"html", required_argument, NULL, OPT_HTML},
                                          {"focus", required_argument, NULL, OPT_FOCUS},
                                          {"k-range", required_argument, NULL, OPT_K_RANGE},
                                          {"sample", required_argument, NULL, OPT_SAMPLE},
                                          {"n-init", required_argument, NULL, OPT_N_INIT},
                                          {"max-iter", required_argument, NULL, OPT_MAX_ITER},
                                          {"kernel", required_argument, NULL, OPT_KERNEL},
                                          {NULL, 0, NULL, 0}};
  pe_cli_common_init(&a->common);
  a->cluster = pe_persona_cluster_params_default();
  a->describe = pe_persona_params_default();
  int opt;
  int64_t v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":k:o:h", options, NULL)) != -1) {
    const int c = pe_cli_common_option(&a->common, opt, optarg);
    if (c < 0) return 1;
    if (c) continue;
    switch (opt) {
      case 'h': fputs(usage_text, stdout); return -1;
      case 'k':
        if (strcmp(optarg, "auto") == 0) {
          a->cluster.k = 0;
        } else {
          if (pe_cli_parse_i64("k", optarg, 1, 1000, &v)) return 1;
          a->cluster.k = (int)v;
        }
        break;
      case OPT_K_RANGE:
        if (parse_range(optarg, &a->cluster.k_min, &a->cluster.k_max)) return 1;
        break;
      case OPT_SAMPLE:
        if (pe_cli_parse_i64("sample", optarg, 100, INT64_MAX, &a->cluster.sample)) return 1;
        break;
      case OPT_N_INIT:
        if (pe_cli_parse_i64("n-init", optarg, 1, 1000, &v)) return 1;
        a->cluster.n_init = (int)v;
        break;
      case OPT_MAX_ITER:
        if (pe_cli_parse_i64("max-iter", optarg, 1, 100000, &v)) return 1;
        a->cluster.max_iter = (int)v;
        break;
      case OPT_KERNEL: a->cluster.kernel = optarg; break;
      case OPT_HTML: a->html = optarg; break;
      case OPT_FOCUS:
        if (pe_cli_parse_double("focus", optarg, 0.01, 1.0, &a->describe.focus_revenue_share))
          return 1;
        break;
      default: return pe_cli_option_error("run", opt, argv);
    }
  }
  if (optind != argc - 1) return pe_cli_usage_error("run", "expected exactly one input file");
  a->input = argv[optind];
  a->cluster.seed = a->common.seed;
  a->cluster.threads = a->common.threads;
  return 0;
}

/* Wall seconds of each step, for the log and --json. */
enum { STEP_RFM, STEP_FEATURES, STEP_CLUSTER, STEP_DESCRIBE, STEP_WRITE, STEPS };
static const char *const step_names[STEPS] = {"rfm", "features", "cluster", "describe", "write"};

typedef struct {
  pe_rfm_result *rfm;
  pe_features *features;
  pe_persona_clustering *clustering;
  pe_persona_data *data;
  pe_persona_report *report;
  pe_feature columns[PE_FEATURE_COUNT];
  const char *segment_names[256];
  double seconds[STEPS];
  /* The writing step's parts: /rfm, /features, /kmeans + /personas, and the
   * commit (flush, fsync, rename). */
  double write_seconds[4];
} pipeline;

static void free_pipeline(pipeline *p) {
  pe_persona_report_free(p->report);
  pe_persona_data_free(p->data);
  pe_persona_clustering_free(p->clustering);
  pe_features_free(p->features);
  pe_rfm_result_free(p->rfm);
}

static void log_curve(const run_args *a, const pe_persona_clustering *c) {
  const int n = pe_persona_clustering_curve_count(c);
  if (n == 0 || a->common.json) return;
  const pe_persona_k_score *s = pe_persona_clustering_curve(c);
  printf(
      "Choosing K on a sample: simplified silhouette (higher is better)\n\n"
      "| K | silhouette | Calinski-Harabasz | inertia/point |\n|--:|--:|--:|--:|\n");
  for (int i = 0; i < n; i++)
    printf("| %d%s | %.4f | %.0f | %.4f |\n", s[i].k,
           s[i].k == pe_persona_clustering_k(c) ? " *" : "", s[i].silhouette,
           s[i].calinski_harabasz, s[i].inertia);
  double top = s[0].silhouette;
  for (int i = 1; i < n; i++)
    if (s[i].silhouette > top) top = s[i].silhouette;
  printf(
      "\nChose K = %d: the fewest personas whose simplified silhouette (how much closer "
      "customers are to their own persona than to the next one) is within %.2f of the best "
      "(%.4f).\n\n",
      pe_persona_clustering_k(c), PE_PERSONA_SILHOUETTE_SLACK, top);
}

/* k-means on the scaled features, then the persona of each cluster. */
static pe_status cluster_and_describe(const run_args *a, pipeline *p) {
  double t = pe_cli_now();
  const int64_t n = pe_features_count(p->features);
  const int d = pe_features_dim(p->features);
  for (int j = 0; j < d; j++) p->columns[j] = pe_features_column(p->features, j);
  PE_FORWARD(
      pe_persona_cluster(pe_features_scaled(p->features), n, d, &a->cluster, &p->clustering));
  const pe_kmeans_model *model = pe_persona_clustering_model(p->clustering);
  p->seconds[STEP_CLUSTER] = pe_cli_now() - t;

  t = pe_cli_now();
  int has_sessions = 0;
  for (int j = 0; j < d; j++) has_sessions |= pe_feature_needs_sessions(p->columns[j]);
  pe_rfm_columns rc;
  pe_rfm_result_columns(p->rfm, &rc);
  pe_rfm_summary rs;
  pe_rfm_result_summary(p->rfm, &rs);
  const pe_rfm_segment_map *map = pe_rfm_result_segment_map(p->rfm);
  int nseg = pe_rfm_segment_map_count(map);
  if (nseg > 256) nseg = 256;
  for (int s = 0; s < nseg; s++) p->segment_names[s] = pe_rfm_segment_map_name(map, s);
  PE_FORWARD(pe_persona_data_from_memory(a->input, n, d, p->columns, pe_features_raw(p->features),
                                         pe_features_customer_ids(p->features),
                                         pe_kmeans_model_labels(model), pe_kmeans_model_k(model),
                                         has_sessions, rc.count, rc.customer_id, rc.segment, rc.r,
                                         rc.f, rs.bins, nseg, p->segment_names, &p->data));
  PE_FORWARD(pe_persona_describe(pe_persona_data_input(p->data), &a->describe, &p->report));
  p->seconds[STEP_DESCRIBE] = pe_cli_now() - t;
  return PE_OK;
}

/* Every group goes into the results file in one atomic update: one
 * temporary file, one flush, one rename at the end (personae/results.h).
 * /rfm and /features are written as soon as they are known, so that the
 * disk writes them while the clusters are found and described, and the
 * commit's fsync waits for little. */
static pe_status begin_results(const run_args *a, const char *results, pe_results_writer **w) {
  const char *inputs[] = {a->input, NULL};
  static const char *const groups[] = {"/rfm",     "/features", "/kmeans",
                                       "/predict", "/personas", NULL};
  return pe_results_begin(results, inputs, groups, w);
}

static pe_status write_inputs_of_clustering(const run_args *a, pe_results_writer *w, pipeline *p) {
  double t = pe_cli_now();
  pe_status st = pe_rfm_write_into(p->rfm, w, a->input);
  p->write_seconds[0] = pe_cli_now() - t;
  t = pe_cli_now();
  if (st == PE_OK) st = pe_features_write_into(p->features, w, a->input);
  p->write_seconds[1] = pe_cli_now() - t;
  return st;
}

static pe_status write_personas_and_commit(const char *results, pe_results_writer *w, pipeline *p) {
  char source[4200];
  snprintf(source, sizeof source, "%s:/features/scaled", results);
  double t = pe_cli_now();
  pe_status st = pe_kmeans_model_write_into(pe_persona_clustering_model(p->clustering), w, source);
  if (st == PE_OK) st = pe_persona_report_write_into(p->report, w, pe_persona_data_input(p->data));
  p->write_seconds[2] = pe_cli_now() - t;
  if (st != PE_OK) {
    pe_results_abort(w);
    return st;
  }
  t = pe_cli_now();
  st = pe_results_commit(w);
  p->write_seconds[3] = pe_cli_now() - t;
  return st;
}

static pe_status run_steps(const run_args *a, const char *results, pipeline *p) {
  /* One pass over /transactions: the features step keeps the RFM
   * aggregates on its way, and RFM only scores them. */
  double t = pe_cli_now();
  pe_features_params fp;
  pe_features_params_init(&fp);
  fp.rfm_aggregates = 1;
  PE_FORWARD(pe_features_compute(a->input, &fp, &p->features));
  p->seconds[STEP_FEATURES] = pe_cli_now() - t;

  t = pe_cli_now();
  pe_rfm_aggregates agg;
  PE_FORWARD(pe_features_rfm_aggregates(p->features, &agg));
  pe_rfm_params rp;
  pe_rfm_params_init(&rp);
  PE_FORWARD(pe_rfm_compute_from_aggregates(&agg, &rp, &p->rfm));
  p->seconds[STEP_RFM] = pe_cli_now() - t;

  pe_results_writer *w;
  PE_FORWARD(begin_results(a, results, &w));
  pe_status st = write_inputs_of_clustering(a, w, p);
  if (st == PE_OK) pe__results_start_writeback(w);
  if (st == PE_OK) st = cluster_and_describe(a, p);
  if (st != PE_OK) {
    pe_results_abort(w);
    return st;
  }
  t = pe_cli_now();
  st = write_personas_and_commit(results, w, p);
  p->seconds[STEP_WRITE] = p->write_seconds[0] + p->write_seconds[1] + pe_cli_now() - t;
  return st;
}

static void print_json(const run_args *a, const pipeline *p, const char *report_json,
                       double total) {
  json_error_t err;
  json_t *root = json_loads(report_json, 0, &err);
  if (!root) return;
  json_t *curve = json_array();
  const pe_persona_k_score *s = pe_persona_clustering_curve(p->clustering);
  for (int i = 0; i < pe_persona_clustering_curve_count(p->clustering); i++)
    json_array_append_new(
        curve, json_pack("{s:i, s:f, s:f, s:f}", "k", s[i].k, "silhouette", s[i].silhouette,
                         "calinski_harabasz", s[i].calinski_harabasz, "inertia", s[i].inertia));
  json_t *timing = json_object();
  for (int i = 0; i < STEPS; i++)
    json_object_set_new(timing, step_names[i], json_real(p->seconds[i]));
  json_object_set_new(timing, "total", json_real(total));
  /* The parts of the two longest steps. */
  pe_features_seconds fs;
  pe_features_get_seconds(p->features, &fs);
  json_object_set_new(
      timing, "features_steps",
      json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "transactions",
                fs.transactions, "transactions_read", fs.transactions_read, "transactions_group",
                fs.transactions_group, "transactions_aggregate", fs.transactions_aggregate,
                "sessions", fs.sessions, "sessions_read", fs.sessions_read, "sessions_group",
                fs.sessions_group, "sessions_aggregate", fs.sessions_aggregate, "customers",
                fs.customers, "assemble", fs.assemble, "scaling", fs.scaling));
  json_object_set_new(
      timing, "write_steps",
      json_pack("{s:f, s:f, s:f, s:f}", "rfm", p->write_seconds[0], "features", p->write_seconds[1],
                "kmeans_personas", p->write_seconds[2], "commit", p->write_seconds[3]));
  const pe_kmeans_model *m = pe_persona_clustering_model(p->clustering);
  json_object_set_new(
      root, "clustering",
      json_pack("{s:s, s:i, s:o, s:f, s:i, s:s, s:s}", "k_mode", a->cluster.k ? "given" : "auto",
                "k_chosen", pe_persona_clustering_k(p->clustering), "k_curve", curve, "inertia",
                pe_kmeans_model_inertia(m), "iterations", pe_kmeans_model_iterations(m), "kernel",
                pe_kmeans_model_kernel(m), "kernel_form", pe_cli_kernel_form(m)));
  json_object_set_new(root, "seconds", timing);
  char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  if (text) puts(text);
  free(text);
  json_decref(root);
}

int pe_cmd_run(int argc, char **argv) {
  run_args a;
  memset(&a, 0, sizeof a);
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  char results[4096];
  if (a.common.out)
    snprintf(results, sizeof results, "%s", a.common.out);
  else
    pe_default_result_path(a.input, results, sizeof results);
  pe_cli_apply_threads(&a.common);
  pe_cli_warn_kernel_env();

  pipeline p;
  memset(&p, 0, sizeof p);
  char *text = NULL;
  const double t0 = pe_cli_now();
  /* A report that cannot be written fails the run before anything is. */
  pe_status st =
      a.html ? pe_persona_check_text_path(a.html, (const char *[]){a.input, results, NULL}) : PE_OK;
  if (st == PE_OK) st = run_steps(&a, results, &p);
  if (st == PE_OK && a.html) {
    char title[4200];
    snprintf(title, sizeof title, "Personas of %s", a.input);
    st = pe_persona_report_html(p.report, title, &text);
    if (st == PE_OK)
      st = pe_persona_write_text_file(a.html, text, (const char *[]){a.input, results, NULL});
    free(text);
    text = NULL;
  }
  if (st == PE_OK)
    st = a.common.json ? pe_persona_report_json(p.report, &text)
                       : pe_persona_report_markdown(p.report, &text);
  if (st != PE_OK) {
    rc = pe_cli_fail_naming("run", a.input, st);
    goto done;
  }
  const double total = pe_cli_now() - t0;
  if (a.common.json) {
    print_json(&a, &p, text, total);
  } else {
    log_curve(&a, p.clustering);
    fputs(text, stdout);
  }
  double choose_s, sample_s, refine_s;
  pe_persona_clustering_seconds(p.clustering, &choose_s, &sample_s, &refine_s);
  pe_cli_log(&a.common,
             "personae run: cluster: choose K %.2f s, sample restarts %.2f s, refine on all %.2f s "
             "(%d iterations)",
             choose_s, sample_s, refine_s,
             pe_kmeans_model_iterations(pe_persona_clustering_model(p.clustering)));
  pe_features_seconds fs;
  pe_features_get_seconds(p.features, &fs);
  pe_cli_log(&a.common,
             "personae run: features: transactions pass %.2f s (read %.2f, grouping %.2f, "
             "group-by %.2f), sessions pass %.2f s (read %.2f, grouping %.2f, group-by %.2f), "
             "customers %.2f s, values %.2f s, scaling %.2f s; writing: /rfm %.2f s, /features "
             "%.2f s, /kmeans + /personas %.2f s, commit %.2f s",
             fs.transactions, fs.transactions_read, fs.transactions_group,
             fs.transactions_aggregate, fs.sessions, fs.sessions_read, fs.sessions_group,
             fs.sessions_aggregate, fs.customers, fs.assemble, fs.scaling, p.write_seconds[0],
             p.write_seconds[1], p.write_seconds[2], p.write_seconds[3]);
  pe_cli_log(&a.common,
             "personae run: %lld customers, k = %d; rfm %.2f s, features %.2f s, cluster %.2f s, "
             "describe %.2f s, writing %.2f s; total %.2f s -> %s%s%s",
             (long long)pe_features_count(p.features), pe_persona_clustering_k(p.clustering),
             p.seconds[STEP_RFM], p.seconds[STEP_FEATURES], p.seconds[STEP_CLUSTER],
             p.seconds[STEP_DESCRIBE], p.seconds[STEP_WRITE], total, results, a.html ? ", " : "",
             a.html ? a.html : "");
done:
  free(text);
  free_pipeline(&p);
  return rc;
}
