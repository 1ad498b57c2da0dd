/* personae info / --version: what this build is and what it will run: the
 * CPU features the kernels detected, which variants run here, the
 * PERSONAE_KERNEL override and what `auto` picks for the benchmark shapes. */
#include <getopt.h>
#include <jansson.h>
#include <omp.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "pe_kernels.h"

/* The shapes of bench/bench_kernels (and of the targets). */
static const struct {
  long long n;
  int d, k;
} info_shapes[] = {{1000000, 8, 8}, {1000000, 16, 32}, {1000000, 32, 256}, {200000, 128, 1024}};
enum { INFO_SHAPES = sizeof info_shapes / sizeof info_shapes[0] };

static const char *yes_no(int b) {
  return b ? "yes" : "no";
}

static const char *vendor_of(const pe_cpu_features *f) {
  return f->vendor[0] ? f->vendor : "unknown";
}

static void print_text(void) {
  const pe_cpu_features *f = pe_kernel_cpu();
  printf("personae %s\n", personae_version());
  printf("threads: %d (OpenMP)\n", omp_get_max_threads());
  printf("cpu: sse4.2 %s, avx %s, avx2 %s, fma %s, avx512f %s, avx512dq %s\n", yes_no(f->sse42),
         yes_no(f->avx), yes_no(f->avx2), yes_no(f->fma), yes_no(f->avx512f), yes_no(f->avx512dq));
  printf("os: saves AVX state %s, AVX-512 state %s\n", yes_no(f->os_avx), yes_no(f->os_avx512));
  printf("cpu vendor: %s, family 0x%x\n", vendor_of(f), (unsigned)f->family);
  printf("kernels:");
  for (int id = PE_KERNEL_SCALAR; id < PE_KERNEL_COUNT; id++)
    printf(" %s %s%s", pe_kernel_name((pe_kernel_id)id),
           yes_no(pe_kernel_supported((pe_kernel_id)id)), id + 1 < PE_KERNEL_COUNT ? "," : "\n");
  pe_kernel_id env_id = PE_KERNEL_AUTO;
  const char *env = getenv("PERSONAE_KERNEL");
  switch (pe_kernel_env_override(&env_id)) {
    case 0: printf("PERSONAE_KERNEL: not set\n"); break;
    case 1: printf("PERSONAE_KERNEL: %s (overrides auto)\n", pe_kernel_name(env_id)); break;
    default:
      printf(
          "PERSONAE_KERNEL: '%s' ignored (not one of scalar|avx2|avx512|blas|auto, or not "
          "supported here)\n",
          env ? env : "");
  }
  if (f->disable_unknown[0])
    printf("PERSONAE_CPU_DISABLE: '%s' ignored (not one of avx512|avx2|fma)\n",
           f->disable_unknown);
  printf("auto picks%s:\n", pe_kernel_env_override(NULL) == 1 ? " (after PERSONAE_KERNEL)" : "");
  for (int s = 0; s < INFO_SHAPES; s++) {
    const pe_kernel_id id = pe_kernel_choose(info_shapes[s].d, info_shapes[s].k);
    printf("  N=%-8lld D=%-4d K=%-5d %s (%s form)\n", info_shapes[s].n, info_shapes[s].d,
           info_shapes[s].k, pe_kernel_name(id),
           pe_kernel_form(id, info_shapes[s].d, info_shapes[s].k));
  }
}

static int print_json(void) {
  const pe_cpu_features *f = pe_kernel_cpu();
  json_t *kernels = json_object(), *autos = json_array();
  for (int id = PE_KERNEL_SCALAR; id < PE_KERNEL_COUNT; id++)
    json_object_set_new(kernels, pe_kernel_name((pe_kernel_id)id),
                        json_boolean(pe_kernel_supported((pe_kernel_id)id)));
  for (int s = 0; s < INFO_SHAPES; s++) {
    const int d = info_shapes[s].d, k = info_shapes[s].k;
    const pe_kernel_id id = pe_kernel_choose(d, k);
    json_array_append_new(
        autos,
        json_pack("{s:I, s:i, s:i, s:s, s:s}", "n", (json_int_t)info_shapes[s].n, "d", d, "k", k,
                  "kernel", pe_kernel_name(id), "kernel_form", pe_kernel_form(id, d, k)));
  }
  pe_kernel_id env_id = PE_KERNEL_AUTO;
  int env_state = pe_kernel_env_override(&env_id);
  const char *env = getenv("PERSONAE_KERNEL");
  json_t *override = env_state == 0
                         ? json_null()
                         : json_pack("{s:s, s:b}", "value", env ? env : "", "used", env_state == 1);
  json_t *j =
      json_pack("{s:s, s:i, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:i}, s:o, s:o, s:o}",
                "version", personae_version(), "threads", omp_get_max_threads(), "cpu", "sse4.2",
                f->sse42, "avx", f->avx, "avx2", f->avx2, "fma", f->fma, "avx512f", f->avx512f,
                "avx512dq", f->avx512dq, "os_avx", f->os_avx, "os_avx512", f->os_avx512, "vendor",
                vendor_of(f), "family", f->family, "kernels", kernels, "kernel_override", override,
                "auto", autos);
  if (!j) return 70;
  char *text = json_dumps(j, JSON_INDENT(2));
  json_decref(j);
  if (!text) return 70;
  printf("%s\n", text);
  free(text);
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: personae info [--json] [--threads N]\n"
          "       personae --version\n\n"
          "Prints the version, the OpenMP threads, the CPU features the kernels detected\n"
          "(cpuid, and XGETBV for what the OS saves), which kernel variants run here, the\n"
          "PERSONAE_KERNEL override and what --kernel auto picks for the benchmark shapes.\n\n"
          "  --json         the same as a JSON object\n"
          "  --threads N    OpenMP threads to report (0 = all cores)\n"
          "  -h, --help     this text\n");
}

int pe_cmd_info(int argc, char **argv) {
  static const struct option opts[] = {PE_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  pe_cli_common common;
  pe_cli_common_init(&common);
  optind = 1;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (opt == 'h') {
      usage(stdout);
      return 0;
    }
    int handled = pe_cli_common_option(&common, opt, optarg);
    if (handled < 0) return 1;
    if (handled == 0) return pe_cli_option_error("info", opt, argv);
  }
  if (optind < argc) return pe_cli_usage_error("info", "unexpected argument '%s'", argv[optind]);
  pe_cli_apply_threads(&common);
  if (common.json) return print_json();
  print_text();
  return 0;
}
