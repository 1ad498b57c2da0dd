#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "io/h5.h"
#include "pe_kernels.h"

void pe_cli_common_init(pe_cli_common *c) {
  memset(c, 0, sizeof *c);
  c->seed = 42;
}

int pe_cli_parse_i64(const char *option, const char *arg, int64_t min, int64_t max, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(arg, &end, 10);
  if (errno || end == arg || *end || v < min || v > max) {
    fprintf(stderr, "personae: --%s: '%s' is not an integer in [%lld, %lld]\n", option, arg,
            (long long)min, (long long)max);
    return -1;
  }
  *out = v;
  return 0;
}

int pe_cli_parse_u64(const char *option, const char *arg, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(arg, &end, 0);
  if (errno || end == arg || *end || arg[0] == '-') {
    fprintf(stderr, "personae: --%s: '%s' is not a non-negative integer\n", option, arg);
    return -1;
  }
  *out = v;
  return 0;
}

int pe_cli_parse_double(const char *option, const char *arg, double min, double max, double *out) {
  char *end;
  errno = 0;
  double v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v >= min && v <= max)) {
    fprintf(stderr, "personae: --%s: '%s' is not a number in [%g, %g]\n", option, arg, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

int pe_cli_common_option(pe_cli_common *c, int opt, const char *arg) {
  int64_t v;
  switch (opt) {
    case PE_OPT_THREADS:
      if (pe_cli_parse_i64("threads", arg, 0, 4096, &v)) return -1;
      c->threads = (int)v;
      return 1;
    case PE_OPT_SEED:
      if (pe_cli_parse_u64("seed", arg, &c->seed)) return -1;
      c->seed_given = 1;
      return 1;
    case PE_OPT_QUIET: c->quiet = 1; return 1;
    case PE_OPT_JSON: c->json = 1; return 1;
    case 'o': c->out = arg; return 1;
    default: return 0;
  }
}

int pe_cli_next_option(pe_cli_common *c, int argc, char **argv, const char *shortopts,
                       const struct option *options) {
  for (;;) {
    int opt = getopt_long(argc, argv, shortopts, options, NULL);
    if (opt == -1) return PE_CLI_OPTIONS_END;
    int handled = pe_cli_common_option(c, opt, optarg);
    if (handled < 0) return PE_CLI_BAD_VALUE;
    if (!handled) return opt;
  }
}

int pe_cli_single_input(const char *cmd, int argc, char **argv, const char *missing,
                        const char **input) {
  if (optind >= argc) return pe_cli_usage_error(cmd, "%s", missing);
  if (optind + 1 < argc)
    return pe_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
  *input = argv[optind];
  return 0;
}

const char *pe_cli_result_path(const pe_cli_common *c, const char *input, char *buf, size_t size) {
  if (c->out) return c->out;
  pe_default_result_path(input, buf, size);
  return buf;
}

/* A results file holds a step's group and none of the input tables. */
static int is_results_file(const char *path) {
  hid_t fid;
  if (pe_h5_open_read(path, &fid) != PE_OK) {
    pe__clear_error();
    return 0;
  }
  const int results = (pe_h5_exists(fid, "/features") || pe_h5_exists(fid, "/rfm") ||
                       pe_h5_exists(fid, "/kmeans")) &&
                      !pe_h5_exists(fid, "/transactions") && !pe_h5_exists(fid, "/sessions") &&
                      !pe_h5_exists(fid, "/customers");
  H5Fclose(fid);
  return results;
}

int pe_cli_output_for(const pe_cli_common *c, const char *input, char *buf, size_t size) {
  const int in_place = !c->out && is_results_file(input);
  if (in_place)
    snprintf(buf, size, "%s", input);
  else if (c->out)
    snprintf(buf, size, "%s", c->out);
  else
    pe_default_result_path(input, buf, size);
  return in_place;
}

void pe_cli_print_json(json_t *root) {
  json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("\n");
  json_decref(root);
}

void pe_cli_apply_threads(const pe_cli_common *c) {
  if (c->threads > 0) omp_set_num_threads(c->threads);
}

int pe_cli_fail(const char *cmd, pe_status status) {
  const char *msg = personae_last_error();
  fprintf(stderr, "personae %s: error: %s\n", cmd, msg && *msg ? msg : personae_strerror(status));
  return personae_exit_code(status);
}

int pe_cli_fail_naming(const char *cmd, const char *input, pe_status status) {
  if (!strstr(personae_last_error(), input)) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", personae_last_error());
    pe__fail(status, "%s: %s", input, msg);
  }
  return pe_cli_fail(cmd, status);
}

int pe_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "personae %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "; see 'personae %s --help'\n", cmd);
  va_end(ap);
  return personae_exit_code(PE_ERR_USAGE);
}

void pe_cli_warn_kernel_env(void) {
  const char *unknown = pe_kernel_cpu()->disable_unknown;
  if (unknown[0])
    fprintf(stderr,
            "personae: warning: PERSONAE_CPU_DISABLE names '%s', which is none of "
            "avx512|avx2|fma: it hides nothing\n",
            unknown);
  if (pe_kernel_env_override(NULL) >= 0) return;
  fprintf(stderr,
          "personae: warning: PERSONAE_KERNEL='%s' is ignored: not one of "
          "scalar|avx2|avx512|blas|auto, or not supported by this CPU (personae info)\n",
          getenv("PERSONAE_KERNEL"));
}

int pe_cli_option_error(const char *cmd, int opt, char **argv) {
  if (opt == ':') return pe_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
  /* A long option (unknown, ambiguous, or given a value it does not take) is
   * named as written; a short one by its letter. */
  const char *arg = argv[optind - 1];
  if (strncmp(arg, "--", 2) == 0) {
    const size_t len = strcspn(arg, "=");
    /* getopt_long leaves optopt at the option's code when it knows the
     * option (given a value it does not take), at 0 when it does not. */
    return pe_cli_usage_error(cmd, "%s '%.*s'",
                              arg[len] && optopt ? "option takes no value:" : "unknown option",
                              (int)len, arg);
  }
  if (optopt > 0 && optopt < 128 && optopt != '?')
    return pe_cli_usage_error(cmd, "unknown option '-%c'", optopt);
  return pe_cli_usage_error(cmd, "unknown option '%s'", arg);
}

void pe_cli_log(const pe_cli_common *c, const char *fmt, ...) {
  if (c->quiet) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

double pe_cli_now(void) {
  return pe_now();
}

const char *pe_cli_kernel_form(const pe_kmeans_model *m) {
  pe_kernel_id id;
  if (pe_kernel_parse(pe_kmeans_model_kernel(m), &id) != 0) return "unknown";
  return pe_kernel_form(id, pe_kmeans_model_d(m), pe_kmeans_model_k(m));
}

void pe_cli_progress_init(pe_cli_progress *p, const pe_cli_common *c, const char *what) {
  p->enabled = !c->quiet && isatty(STDERR_FILENO);
  p->what = what;
  p->last_draw = 0;
}

void pe_cli_progress_cb(void *ctx, int64_t done, int64_t total) {
  pe_cli_progress *p = ctx;
  if (!p || !p->enabled) return;
  double now = pe_cli_now();
  if (done < total && now - p->last_draw < 0.2) return;
  p->last_draw = now;
  fprintf(stderr, "\r%s: %lld / %lld (%.0f%%)", p->what, (long long)done, (long long)total,
          total > 0 ? 100.0 * (double)done / (double)total : 100.0);
  fflush(stderr);
}

void pe_cli_progress_done(pe_cli_progress *p) {
  if (p->enabled) fprintf(stderr, "\r\033[K");
}
