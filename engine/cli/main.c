/* personae: the command-line driver. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"generate", pe_cmd_generate,
     "write a synthetic marketplace (transactions, sessions, customers)"},
    {"import", pe_cmd_import, "convert a transactions CSV export into HDF5"},
    {"inspect", pe_cmd_inspect, "check an input file against the format and summarise it"},
    {"rfm", pe_cmd_rfm, "recency / frequency / monetary scores and named segments"},
    {"features", pe_cmd_features, "per-customer behaviour vectors, scaled for clustering"},
    {"cluster", pe_cmd_cluster, "exact k-means over an N x D float32 dataset"},
    {"predict", pe_cmd_predict, "assign new vectors to an existing k-means model"},
    {"describe", pe_cmd_describe, "turn clusters into persona descriptions"},
    {"run", pe_cmd_run, "the whole pipeline: rfm -> features -> cluster -> describe"},
    {"info", pe_cmd_info, "version, CPU features and the kernels this machine uses"},
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: personae <command> [options]\n"
          "       personae --version | --help\n\n"
          "Turns a marketplace's customer data (HDF5) into shopper personas.\n\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(f,
          "\n'personae <command> --help' describes a command's options.\n"
          "Exit codes: 0 ok, 1 usage, 2 bad input data, 3 I/O error, 4 out of memory,\n"
          "5 not supported here, 70 internal error (docs/cli.md).\n");
}

/* OpenBLAS runs single-threaded: every kernel call is already on one of our
 * OpenMP threads (--threads). The pthread OpenBLAS otherwise starts a pool of
 * its own threads when it is loaded, and they spin in sched_yield for a
 * while, taking the cores from ours: measured on (1e6, 8, 8), k-means
 * iterations 2.56 ms instead of 2.86 ms (median of 5) and the read of the
 * data 0.06 s instead of 0.13 s. The library starts the pool when it is
 * loaded, before main. Where it exports blas_thread_shutdown_ (Debian's
 * pthread build does), the pool is stopped first thing here; elsewhere the
 * process re-executes itself once with OPENBLAS_NUM_THREADS=1 set, which
 * the library reads when it is loaded (a second start of the process: 6.5
 * ms). If that fails it simply goes on. PERSONAE_NO_REEXEC=1 turns the
 * re-execution off; it is skipped when this program is not the process's
 * image (run under valgrind, or by ld.so by hand), where /proc/self/exe
 * would start the tool or the loader instead. */
static int stop_blas_pool(void) {
  int (*parallel)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_parallel");
  int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
  void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  /* Only the pthread build (openblas_get_parallel() == 1) has a pool of its
   * own: in the OpenMP build, setting one thread would set OpenMP's, ours. */
  if (!parallel || parallel() != 1 || !shutdown || !set_threads) return 0;
  set_threads(1);
  return shutdown() == 0;
}

static int running_own_image(char *self, size_t size) {
  char line[8192];
  const char *preload = getenv("LD_PRELOAD");
  if (preload && strstr(preload, "vgpreload")) return 0; /* valgrind */
  ssize_t len = readlink("/proc/self/exe", self, size - 1);
  if (len <= 0) return 0;
  self[len] = '\0';
  FILE *maps = fopen("/proc/self/maps", "r");
  if (!maps) return 0;
  const uintptr_t here = (uintptr_t)&running_own_image;
  int own = 0;
  while (fgets(line, sizeof line, maps)) {
    unsigned long lo = 0, hi = 0;
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &path_at) < 2 || path_at == 0)
      continue;
    if (here < lo || here >= hi) continue;
    char *path = line + path_at;
    path[strcspn(path, "\n")] = '\0';
    own = strcmp(path, self) == 0;
    break;
  }
  fclose(maps);
  return own;
}

static void single_threaded_blas(char **argv) {
  const char *v = getenv("OPENBLAS_NUM_THREADS");
  if (v && strcmp(v, "1") == 0) return;
  if (stop_blas_pool()) return;
  const char *off = getenv("PERSONAE_NO_REEXEC");
  char self[4096];
  if ((off && *off && strcmp(off, "0") != 0) || !running_own_image(self, sizeof self)) return;
  if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
  execv(self, argv);
}

int main(int argc, char **argv) {
  single_threaded_blas(argv);
  /* The allocator settings of a batch process (include/personae/process.h). */
  personae_tune_allocator();
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
    char *info_argv[] = {"info", NULL};
    return pe_cmd_info(1, info_argv);
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "personae: unknown command '%s'; see 'personae --help'\n", name);
  return 1;
}
