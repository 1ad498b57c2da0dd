/* The `personae` driver: shared option handling and output for commands.
 * This is the only part of the code base that prints. */
#ifndef PE_CLI_H
#define PE_CLI_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "personae.h"

/* Options every computing command accepts. */
typedef struct {
  int threads;   /* --threads N; 0 = all cores */
  uint64_t seed; /* --seed S */
  int seed_given;
  int quiet;       /* --quiet: no progress or log lines */
  int json;        /* --json: machine-readable result on stdout */
  const char *out; /* --out FILE */
} pe_cli_common;

/* getopt_long codes for the common options (beyond the ASCII range). */
enum {
  PE_OPT_THREADS = 1000,
  PE_OPT_SEED,
  PE_OPT_QUIET,
  PE_OPT_JSON,
  PE_OPT_OUT,
  PE_OPT_HELP,
  PE_OPT_FIRST_COMMAND_SPECIFIC = 1100
};

/* Long-option table entries for the common options; spread them into a
 * command's table with PE_CLI_COMMON_OPTIONS. */
#define PE_CLI_COMMON_OPTIONS                                                                     \
  {"threads", required_argument, NULL, PE_OPT_THREADS},                                           \
      {"seed", required_argument, NULL, PE_OPT_SEED}, {"quiet", no_argument, NULL, PE_OPT_QUIET}, \
      {"json", no_argument, NULL, PE_OPT_JSON}, {"out", required_argument, NULL, 'o'}, {          \
    "help", no_argument, NULL, 'h'                                                                \
  }

void pe_cli_common_init(pe_cli_common *c);
/* Handles a common option. Returns 1 if `opt` was one (and parsed), 0 if not,
 * -1 on a bad value (message already printed). */
int pe_cli_common_option(pe_cli_common *c, int opt, const char *arg);
struct option;

/* The one-line usage error for what getopt_long returned on a bad option:
 * ':' (a value is missing: option strings start with ':', which also keeps
 * getopt itself quiet) or '?' (an option the command does not take). */
int pe_cli_option_error(const char *cmd, int opt, char **argv);

/* What pe_cli_next_option() returns besides an option code. */
enum { PE_CLI_OPTIONS_END = -1, PE_CLI_BAD_VALUE = -2 };

/* The next option of a command line (start with optind = 1), the common
 * options handled on the way: a command-specific code or 'h', PE_CLI_OPTIONS_END
 * after the last option, or PE_CLI_BAD_VALUE when a common option's value was
 * bad (the message is printed; the command exits with 1). */
int pe_cli_next_option(pe_cli_common *c, int argc, char **argv, const char *shortopts,
                       const struct option *options);

/* The one input file left after the options. Returns 0 with *input set, or
 * prints a usage error (`missing` when there is none, "unexpected argument"
 * when there are more) and returns the exit code. */
int pe_cli_single_input(const char *cmd, int argc, char **argv, const char *missing,
                        const char **input);

/* The result file: --out, or the default beside `input` written into buf. */
const char *pe_cli_result_path(const pe_cli_common *c, const char *input, char *buf, size_t size);

/* For commands that read a matrix from a file that may itself be a results
 * file (cluster, predict): without --out, a results file (one holding /rfm,
 * /features or /kmeans and no input table) is updated in place (atomically,
 * its other groups kept); any other file gets IN.personae.h5 beside it.
 * Writes the path into buf and returns 1 when IN itself is updated. */
int pe_cli_output_for(const pe_cli_common *c, const char *input, char *buf, size_t size);

/* Prints `root` as indented JSON in insertion order, a newline, and releases it. */
void pe_cli_print_json(json_t *root);

/* Applies --threads to OpenMP. */
void pe_cli_apply_threads(const pe_cli_common *c);

/* One line on stderr when PERSONAE_KERNEL is set to a name this machine
 * cannot run (a typo, or a variant this CPU lacks): it is ignored, and a
 * benchmark or pipeline should hear so. Commands that run a kernel call it. */
void pe_cli_warn_kernel_env(void);

/* Number parsing with a clear message naming the option on failure. */
int pe_cli_parse_i64(const char *option, const char *arg, int64_t min, int64_t max, int64_t *out);
int pe_cli_parse_u64(const char *option, const char *arg, uint64_t *out);
int pe_cli_parse_double(const char *option, const char *arg, double min, double max, double *out);

/* Prints "personae CMD: error: <msg>" on stderr and returns the exit code for
 * `status`, using the library's last error message. */
int pe_cli_fail(const char *cmd, pe_status status);
/* As pe_cli_fail, first prefixing the message with `input` unless it names it
 * already: step errors about the data itself ("too few customers") come from
 * code that does not know the file. */
int pe_cli_fail_naming(const char *cmd, const char *input, pe_status status);
/* Prints a usage error ("personae CMD: <msg>; see personae CMD --help") and returns 1. */
int pe_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An info line on stderr unless --quiet. */
void pe_cli_log(const pe_cli_common *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A progress reporter that draws on stderr only when it is a terminal and
 * --quiet was not given. Usable as a library progress callback. */
typedef struct {
  int enabled;
  const char *what;
  double last_draw;
} pe_cli_progress;
void pe_cli_progress_init(pe_cli_progress *p, const pe_cli_common *c, const char *what);
void pe_cli_progress_cb(void *ctx, int64_t done, int64_t total);
void pe_cli_progress_done(pe_cli_progress *p);

/* Monotonic seconds. */
double pe_cli_now(void);

/* How the model's kernel computed distances for its shape ("direct", "dot",
 * "sgemm", "reference"), for --json and benchmark tables. */
const char *pe_cli_kernel_form(const pe_kmeans_model *m);

/* Commands: each returns the process exit code. */
int pe_cmd_generate(int argc, char **argv);
int pe_cmd_import(int argc, char **argv);
int pe_cmd_info(int argc, char **argv);
int pe_cmd_inspect(int argc, char **argv);
int pe_cmd_rfm(int argc, char **argv);
int pe_cmd_features(int argc, char **argv);
int pe_cmd_cluster(int argc, char **argv);
int pe_cmd_predict(int argc, char **argv);
int pe_cmd_describe(int argc, char **argv);
int pe_cmd_run(int argc, char **argv);

#endif
