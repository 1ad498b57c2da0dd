/* Placeholder until the features and persona issue lands: the command exists
 * so that scripts and --help see the whole pipeline, and says plainly that it
 * is not built yet. */
#include <string.h>

#include "cli/cli.h"

int pe_cmd_describe(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: personae describe IN.h5 [options]\n\nturn clusters into persona descriptions.\nNot implemented in this build yet.\n");
    return 0;
  }
  fprintf(stderr, "personae describe: not implemented yet in this build\n");
  return personae_exit_code(PE_ERR_UNSUPPORTED);
}
