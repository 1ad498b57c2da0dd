#include "cli/cli.h"

int pe_cmd_generate(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "personae generate: not implemented yet in this build\n");
  return personae_exit_code(PE_ERR_UNSUPPORTED);
}
