/* personae info / --version: what this build is and what it will run. */
#include <omp.h>

#include "cli/cli.h"

int pe_cmd_info(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("personae %s\n", personae_version());
  printf("threads: %d available\n", omp_get_max_threads());
  return 0;
}
