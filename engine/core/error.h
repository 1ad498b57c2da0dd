/* Internal error helpers: keep every error path one line long. */
#ifndef PE_CORE_ERROR_H
#define PE_CORE_ERROR_H

#include "personae/status.h"

/* Records a printf-style message as this thread's last error and returns
 * `status`, so callers write `return pe__fail(PE_ERR_DATA, "...", ...)`. */
pe_status pe__fail(pe_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pe__clear_error(void);

/* Returns from the current function with `status` and a message if `cond`. */
#define PE_FAIL_IF(cond, status, ...)                 \
  do {                                                \
    if (cond) return pe__fail((status), __VA_ARGS__); \
  } while (0)

/* Propagates a non-OK status (its message is already recorded). */
#define PE_FORWARD(expr)           \
  do {                             \
    pe_status pe__st = (expr);     \
    if (pe__st != PE_OK) return pe__st; \
  } while (0)

/* In functions with a cleanup label: record status and jump. */
#define PE_CHECK_GOTO(expr, st_var, label) \
  do {                                     \
    (st_var) = (expr);                     \
    if ((st_var) != PE_OK) goto label;     \
  } while (0)

#endif
