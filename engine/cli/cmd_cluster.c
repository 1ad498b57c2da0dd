/* personae cluster: exact k-means over an N x D dataset of an HDF5 file. */
#include <getopt.h>
#include <jansson.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/h5.h"

static const char usage_text[] =
    "usage: personae cluster IN.h5 --dataset /path -k K [options]\n"
    "\n"
    "Exact k-means (Lloyd) over the N x D matrix IN.h5:/path (float32; other\n"
    "numeric types are converted). The model (centroids, labels, inertia, ...)\n"
    "goes to group /kmeans of the results file.\n"
    "\n"
    "options:\n"
    "  -d, --dataset PATH     the N x D matrix to cluster (required)\n"
    "  -k K                   number of clusters (required unless --init FILE gives it)\n"
    "  -o, --out FILE         results file (default: IN.personae.h5 beside IN, other groups\n"
    "                         kept; IN itself when IN is a results file *.personae.h5)\n"
    "      --init KIND        kmeans++ (default), random, or FILE.h5:/dataset (K x D)\n"
    "      --max-iter N       iterations per run (default 300)\n"
    "      --tol T            stop when the squared centroid shift <= T * mean feature\n"
    "                         variance (default 1e-4; 0 = until labels stop changing)\n"
    "      --n-init R         restarts, keeping the lowest inertia (default 1)\n"
    "      --weights PATH     1-D sample weights in IN.h5 (N non-negative values)\n"
    "      --kernel NAME      auto (default), scalar, avx2, avx512 or blas\n"
    "      --algorithm NAME   lloyd (default)\n"
    "      --seed S           random seed (default 42)\n"
    "      --threads T        OpenMP threads (default: all cores)\n"
    "      --json             print the result as JSON on stdout\n"
    "      --quiet            no per-iteration progress on stderr\n"
    "\n"
    "The same seed gives bit-identical results for any --threads.\n";

enum {
  OPT_INIT = PE_OPT_FIRST_COMMAND_SPECIFIC,
  OPT_MAX_ITER,
  OPT_TOL,
  OPT_N_INIT,
  OPT_WEIGHTS,
  OPT_KERNEL,
  OPT_ALGORITHM
};

typedef struct {
  pe_cli_common common;
  const char *input, *dataset, *init, *weights, *kernel, *algorithm;
  int64_t k, max_iter, n_init;
  double tol;
} cluster_args;

static void print_iteration(void *ctx, const pe_kmeans_iteration *it) {
  const pe_cli_common *c = ctx;
  pe_cli_log(c, "personae cluster: run %d iter %3d: inertia %.9g, moved %lld, shift %.3g, %.5f s",
             it->run + 1, it->iteration, it->inertia, (long long)it->moved, it->shift, it->seconds);
}

static int parse_args(int argc, char **argv, cluster_args *a) {
  static const struct option options[] = {PE_CLI_COMMON_OPTIONS,
                                          {"dataset", required_argument, NULL, 'd'},
                                          {"init", required_argument, NULL, OPT_INIT},
                                          {"max-iter", required_argument, NULL, OPT_MAX_ITER},
                                          {"tol", required_argument, NULL, OPT_TOL},
                                          {"n-init", required_argument, NULL, OPT_N_INIT},
                                          {"weights", required_argument, NULL, OPT_WEIGHTS},
                                          {"kernel", required_argument, NULL, OPT_KERNEL},
                                          {"algorithm", required_argument, NULL, OPT_ALGORITHM},
                                          {NULL, 0, NULL, 0}};
  pe_cli_common_init(&a->common);
  a->init = "kmeans++";
  a->kernel = "auto";
  a->algorithm = "lloyd";
  a->max_iter = 300;
  a->n_init = 1;
  a->tol = 1e-4;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":d:k:o:h", options, NULL)) != -1) {
    int common = pe_cli_common_option(&a->common, opt, optarg);
    if (common < 0) return 1;
    if (common) continue;
    switch (opt) {
      case 'h': fputs(usage_text, stdout); return -1;
      case 'd': a->dataset = optarg; break;
      case 'k':
        if (pe_cli_parse_i64("k", optarg, 1, INT32_MAX, &a->k)) return 1;
        break;
      case OPT_INIT: a->init = optarg; break;
      case OPT_MAX_ITER:
        if (pe_cli_parse_i64("max-iter", optarg, 1, INT32_MAX, &a->max_iter)) return 1;
        break;
      case OPT_TOL:
        if (pe_cli_parse_double("tol", optarg, 0.0, 1e300, &a->tol)) return 1;
        break;
      case OPT_N_INIT:
        if (pe_cli_parse_i64("n-init", optarg, 1, 100000, &a->n_init)) return 1;
        break;
      case OPT_WEIGHTS: a->weights = optarg; break;
      case OPT_KERNEL: a->kernel = optarg; break;
      case OPT_ALGORITHM: a->algorithm = optarg; break;
      default: return pe_cli_option_error("cluster", opt, argv);
    }
  }
  if (optind != argc - 1) return pe_cli_usage_error("cluster", "expected exactly one input file");
  a->input = argv[optind];
  if (!a->dataset) return pe_cli_usage_error("cluster", "--dataset is required");
  return 0;
}

/* Splits "FILE.h5:/dataset" at the last ":/" into its two parts. */
static int split_init_path(const char *arg, char *file, size_t size, const char **dataset) {
  const char *sep = NULL;
  for (const char *p = strstr(arg, ":/"); p; p = strstr(p + 1, ":/")) sep = p;
  if (!sep || sep == arg || (size_t)(sep - arg) >= size) return -1;
  memcpy(file, arg, (size_t)(sep - arg));
  file[sep - arg] = '\0';
  *dataset = sep + 1;
  return 0;
}

static void print_json(const pe_kmeans_model *m, double io_seconds) {
  json_t *j = json_pack("{s:i, s:f, s:i, s:f, s:f, s:f, s:s, s:s, s:s, s:b, s:I}", "k",
                        pe_kmeans_model_k(m), "inertia", pe_kmeans_model_inertia(m), "iterations",
                        pe_kmeans_model_iterations(m), "seconds", pe_kmeans_model_iter_seconds(m),
                        "io_seconds", io_seconds, "init_seconds", pe_kmeans_model_init_seconds(m),
                        "kernel", pe_kmeans_model_kernel(m), "kernel_form", pe_cli_kernel_form(m),
                        "algorithm", pe_kmeans_model_algorithm(m), "converged",
                        pe_kmeans_model_converged(m), "n", (json_int_t)pe_kmeans_model_n(m));
  char *s = json_dumps(j, JSON_REAL_PRECISION(17));
  if (s) puts(s);
  free(s);
  json_decref(j);
}

int pe_cmd_cluster(int argc, char **argv) {
  cluster_args a;
  memset(&a, 0, sizeof a);
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;

  pe_kmeans_params p = pe_kmeans_params_default();
  pe_status st = pe_kmeans_algorithm_parse(a.algorithm, &p.algorithm);
  if (st != PE_OK) return pe_cli_fail("cluster", st);
  char init_file[4096] = "";
  const char *init_dataset = NULL;
  if (strcmp(a.init, "kmeans++") == 0 || strcmp(a.init, "k-means++") == 0) {
    p.init = PE_KMEANS_INIT_KMEANSPP;
  } else if (strcmp(a.init, "random") == 0) {
    p.init = PE_KMEANS_INIT_RANDOM;
  } else if (split_init_path(a.init, init_file, sizeof init_file, &init_dataset) == 0) {
    p.init = PE_KMEANS_INIT_GIVEN;
  } else {
    return pe_cli_usage_error("cluster",
                              "--init: expected kmeans++, random or FILE.h5:/dataset, "
                              "got '%s'",
                              a.init);
  }
  char out_path[4096];
  const int in_place = pe_cli_output_for(&a.common, a.input, out_path, sizeof out_path);
  pe_cli_apply_threads(&a.common);
  pe_cli_warn_kernel_env();

  float *x = NULL, *w = NULL, *centers = NULL;
  pe_kmeans_model *m = NULL;
  int64_t n = 0;
  int d = 0;
  double t0 = pe_cli_now();
  st = pe_kmeans_read_matrix(a.input, a.dataset, &x, &n, &d);
  if (st == PE_OK && a.weights) st = pe_kmeans_read_weights(a.input, a.weights, n, &w);
  if (st == PE_OK && p.init == PE_KMEANS_INIT_GIVEN) {
    int64_t kc = 0;
    int dc = 0;
    st = pe_kmeans_read_matrix(init_file, init_dataset, &centers, &kc, &dc);
    if (st == PE_OK && dc != d) {
      rc = pe_cli_usage_error("cluster", "--init %s has %d columns but %s:%s has %d", a.init, dc,
                              a.input, a.dataset, d);
      goto done;
    }
    if (st == PE_OK && a.k && a.k != kc) {
      rc = pe_cli_usage_error("cluster", "-k %lld but --init %s has %lld centers", (long long)a.k,
                              a.init, (long long)kc);
      goto done;
    }
    a.k = kc;
  }
  if (st != PE_OK) {
    rc = pe_cli_fail("cluster", st);
    goto done;
  }
  if (!a.k) {
    rc = pe_cli_usage_error("cluster", "-k is required");
    goto done;
  }
  if (a.k > n) {
    rc = pe_cli_usage_error("cluster", "-k %lld exceeds the %lld points of %s:%s", (long long)a.k,
                            (long long)n, a.input, a.dataset);
    goto done;
  }
  double io_seconds = pe_cli_now() - t0;
  pe_cli_log(&a.common, "personae cluster: %s:%s: %lld points x %d features, k = %lld", a.input,
             a.dataset, (long long)n, d, (long long)a.k);

  p.k = (int)a.k;
  p.max_iter = (int)a.max_iter;
  p.tol = a.tol;
  p.n_init = (int)a.n_init;
  p.init_centers = centers;
  p.seed = a.common.seed;
  p.kernel = a.kernel;
  p.threads = a.common.threads;
  if (!a.common.quiet) {
    p.progress = print_iteration;
    p.progress_ctx = &a.common;
  }
  st = pe_kmeans_fit(x, n, d, w, &p, &m);
  if (st != PE_OK) {
    rc = pe_cli_fail("cluster", st);
    goto done;
  }
  /* The model holds all that is written: the data goes before the write's
   * buffers (and, updating a file in place, its copy) are allocated, so that
   * they do not add to the peak. glibc keeps a freed block of this size in
   * its heap: trimming hands the pages back. */
  free(x);
  free(w);
  x = NULL;
  w = NULL;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  double t1 = pe_cli_now();
  char source[4200];
  snprintf(source, sizeof source, "%s:%s", a.input, a.dataset);
  /* A results file updated in place is read whole before the atomic write. */
  const char *inputs[3] = {NULL, NULL, NULL};
  int ninputs = 0;
  if (!in_place) inputs[ninputs++] = a.input;
  /* The results file updated in place may also hold the initial centres. */
  if (init_file[0] && !(in_place && pe_same_file(init_file, a.input)))
    inputs[ninputs++] = init_file;
  st = pe_kmeans_model_save(m, out_path, inputs, source);
  if (st != PE_OK) {
    rc = pe_cli_fail("cluster", st);
    goto done;
  }
  io_seconds += pe_cli_now() - t1;
  if (a.common.json) {
    print_json(m, io_seconds);
  } else {
    printf("k-means: k = %d, inertia = %.10g, %d iteration(s)%s, kernel %s, %s\n",
           pe_kmeans_model_k(m), pe_kmeans_model_inertia(m), pe_kmeans_model_iterations(m),
           pe_kmeans_model_converged(m) ? " (converged)" : " (max-iter reached)",
           pe_kmeans_model_kernel(m), pe_kmeans_model_algorithm(m));
    printf("init %.3f s, iterations %.3f s, I/O %.3f s; model written to %s:/kmeans\n",
           pe_kmeans_model_init_seconds(m), pe_kmeans_model_iter_seconds(m), io_seconds, out_path);
  }
  rc = 0;
done:
  pe_kmeans_model_free(m);
  free(x);
  free(w);
  free(centers);
  return rc;
}
