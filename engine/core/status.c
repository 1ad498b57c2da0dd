#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *personae_strerror(pe_status status) {
  switch (status) {
#define PE__STATUS_TEXT(name, value, exit_code, text) \
  case name:                                          \
    return text;
    PE_STATUS_MAP(PE__STATUS_TEXT)
#undef PE__STATUS_TEXT
  }
  return "unknown status";
}

int personae_exit_code(pe_status status) {
  switch (status) {
#define PE__STATUS_EXIT(name, value, exit_code, text) \
  case name:                                          \
    return exit_code;
    PE_STATUS_MAP(PE__STATUS_EXIT)
#undef PE__STATUS_EXIT
  }
  return 70;
}

const char *personae_last_error(void) { return last_error; }

const char *personae_version(void) { return PERSONAE_VERSION_STRING; }

pe_status pe__fail(pe_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return status;
}

void pe__clear_error(void) { last_error[0] = '\0'; }
