/* Status codes of the personae library.
 *
 * Every library function returns a pe_status and writes its results through
 * out-parameters. On failure a one-line, human-readable message naming the
 * file, dataset and problem is available from personae_last_error() in the
 * failing thread until the next failing call. */
#ifndef PERSONAE_STATUS_H
#define PERSONAE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, exit code of the `personae` binary, description).
 * The exit codes are part of the CLI contract (docs/cli.md): never renumber. */
#define PE_STATUS_MAP(X)                                                   \
  X(PE_OK, 0, 0, "success")                                                \
  X(PE_ERR_USAGE, 1, 1, "invalid argument")                                \
  X(PE_ERR_DATA, 2, 2, "bad input data")                                   \
  X(PE_ERR_IO, 3, 3, "I/O error")                                          \
  X(PE_ERR_NOMEM, 4, 4, "out of memory")                                   \
  X(PE_ERR_UNSUPPORTED, 5, 5, "not supported by this CPU or build")       \
  X(PE_ERR_INTERNAL, 6, 70, "internal error")

typedef enum {
#define PE__STATUS_ENUM(name, value, exit_code, text) name = value,
  PE_STATUS_MAP(PE__STATUS_ENUM)
#undef PE__STATUS_ENUM
} pe_status;

/* A static description of the status code ("bad input data"). */
const char *personae_strerror(pe_status status);

/* The process exit code the `personae` binary uses for this status. */
int personae_exit_code(pe_status status);

/* The detailed message of the last failure in this thread, or "" if none. */
const char *personae_last_error(void);

/* The library version, e.g. "0.1.0". */
const char *personae_version(void);

#ifdef __cplusplus
}
#endif
#endif
