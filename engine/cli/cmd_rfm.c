/* Placeholder until issue 3 lands: the command exists so that scripts and
 * --help see the whole pipeline, and says plainly that it is not built yet. */
#include "cli/cli.h"

int pe_cmd_rfm(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "personae rfm: not implemented yet in this build\n");
  return personae_exit_code(PE_ERR_UNSUPPORTED);
}
