/* pe_results_writer: the public face of a pe_h5_out (engine/io/h5.h), so
 * that the steps' *_write_into functions can share one atomic update. */
#include "io/results_writer.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

struct pe_results_writer {
  pe_h5_out *out;
  pe_status failed;   /* the first failed write into this update, or PE_OK */
  char message[1024]; /* and its message */
};

pe_status pe_results_begin(const char *path, const char *const *inputs, const char *const *replaces,
                           pe_results_writer **out) {
  PE_FAIL_IF(!out || !path, PE_ERR_USAGE, "pe_results_begin: no path or output given");
  *out = NULL;
  pe_results_writer *w = calloc(1, sizeof *w);
  PE_FAIL_IF(!w, PE_ERR_NOMEM, "out of memory");
  static const char *const none[] = {NULL};
  pe_status st = pe_h5_out_begin(path, inputs, replaces ? replaces : none, &w->out);
  if (st != PE_OK) {
    free(w);
    return st;
  }
  *out = w;
  return PE_OK;
}

pe_h5_out *pe__results_out(const pe_results_writer *w) {
  return w->out;
}

const char *pe_results_path(const pe_results_writer *w) {
  return pe_h5_out_path(w->out);
}

hid_t pe__results_file(const pe_results_writer *w) {
  return pe_h5_out_file(w->out);
}

pe_status pe_results_commit(pe_results_writer *w) {
  PE_FAIL_IF(!w, PE_ERR_USAGE, "pe_results_commit: no writer");
  if (w->failed != PE_OK) {
    const pe_status st = w->failed;
    const char *path = pe_h5_out_path(w->out);
    char msg[4200];
    snprintf(msg, sizeof msg, "%s: not updated: %s", path, w->message);
    pe_results_abort(w);
    return pe__fail(st, "%s", msg);
  }
  pe_status st = pe_h5_out_commit(w->out);
  free(w);
  return st;
}

pe_status pe__results_note(pe_results_writer *w, pe_status st) {
  if (w && st != PE_OK && w->failed == PE_OK) {
    w->failed = st;
    snprintf(w->message, sizeof w->message, "%s", personae_last_error());
  }
  return st;
}

void pe_results_abort(pe_results_writer *w) {
  if (!w) return;
  pe_h5_out_abort(w->out);
  free(w);
}

pe_status pe__results_finish(pe_results_writer *w, pe_status st) {
  if (st == PE_OK) return pe_results_commit(w);
  pe_results_abort(w);
  return st;
}

void pe__results_start_writeback(pe_results_writer *w) {
  if (w) pe_h5_out_start_writeback(w->out);
}
