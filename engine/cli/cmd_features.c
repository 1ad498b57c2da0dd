/* Placeholder until issue 5 lands: the command exists so that scripts and
 * --help see the whole pipeline, and says plainly that it is not built yet. */
#include "cli/cli.h"

int pe_cmd_features(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "personae features: not implemented yet in this build\n");
  return personae_exit_code(PE_ERR_UNSUPPORTED);
}
