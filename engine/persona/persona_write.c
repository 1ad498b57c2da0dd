/* Writing the personas: the /personas group of the results file, and text
 * reports (HTML) replaced atomically. */
#include <errno.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/h5.h"
#include "io/results_writer.h"
#include "persona/persona_internal.h"

/* The persona table is written in id order (row i = persona i), so that the
 * per-customer `persona` column indexes it directly. */
static pe_status write_table(hid_t g, const char *file, const pe_persona_report *r) {
  const int k = r->k;
  const pe_persona **by_id = calloc((size_t)k, sizeof *by_id);
  int32_t *id = malloc((size_t)k * sizeof *id), *arch = malloc((size_t)k * sizeof *arch);
  int64_t *customers = malloc((size_t)k * sizeof *customers);
  double *share_c = malloc((size_t)k * sizeof *share_c), *rev = malloc((size_t)k * sizeof *rev);
  double *share_r = malloc((size_t)k * sizeof *share_r), *match = malloc((size_t)k * sizeof *match);
  uint8_t *focus = malloc((size_t)k);
  const char **keys = malloc((size_t)k * sizeof *keys), **names = malloc((size_t)k * sizeof *names);
  const char **desc = malloc((size_t)k * sizeof *desc), **qual = malloc((size_t)k * sizeof *qual);
  pe_status st = PE_OK;
  if (!by_id || !id || !arch || !customers || !share_c || !rev || !share_r || !match || !focus ||
      !keys || !names || !desc || !qual) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory writing /personas", file);
    goto done;
  }
  for (int i = 0; i < k; i++) by_id[r->entries[i].pub.id] = &r->entries[i].pub;
  for (int i = 0; i < k; i++) {
    const pe_persona *p = by_id[i];
    id[i] = p->id;
    arch[i] = (int32_t)p->archetype;
    customers[i] = p->customers;
    share_c[i] = p->share_customers;
    rev[i] = p->revenue;
    share_r[i] = p->share_revenue;
    match[i] = p->match;
    focus[i] = (uint8_t)p->focus;
    keys[i] = p->archetype_key;
    names[i] = p->name;
    desc[i] = p->description;
    qual[i] = p->qualifier;
  }
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "id", PE_I32, k, id, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "archetype", PE_I32, k, arch, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_strings(g, file, "archetype_key", keys, k), st, done);
  PE_CHECK_GOTO(pe_h5_write_strings(g, file, "qualifier", qual, k), st, done);
  PE_CHECK_GOTO(pe_h5_write_strings(g, file, "name", names, k), st, done);
  PE_CHECK_GOTO(pe_h5_write_strings(g, file, "description", desc, k), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "customers", PE_I64, k, customers, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "share_customers", PE_F64, k, share_c, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "revenue", PE_F64, k, rev, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "share_revenue", PE_F64, k, share_r, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "match", PE_F64, k, match, 0), st, done);
  PE_CHECK_GOTO(pe_h5_write_column(g, file, "focus", PE_U8, k, focus, 0), st, done);
done:
  free(by_id);
  free(id);
  free(arch);
  free(customers);
  free(share_c);
  free(rev);
  free(share_r);
  free(match);
  free(focus);
  free(keys);
  free(names);
  free(desc);
  free(qual);
  return st;
}

static pe_status write_group(hid_t fid, const char *file, const pe_persona_report *r,
                             const pe_persona_input *in) {
  hid_t g;
  PE_FORWARD(pe_h5_replace_group(fid, file, "/personas", &g));
  pe_status st = PE_OK;
  int64_t *rows = NULL;
  const int64_t *ids = in->customer_id;
  if (!ids) {
    rows = malloc((size_t)in->n * sizeof *rows);
    if (!rows) st = pe__fail(PE_ERR_NOMEM, "%s: out of memory writing /personas", file);
    for (int64_t i = 0; rows && i < in->n; i++) rows[i] = i;
    ids = rows;
  }
  if (st == PE_OK) st = pe_h5_write_column(g, file, "customer_id", PE_I64, in->n, ids, 1);
  if (st == PE_OK) st = pe_h5_write_column(g, file, "persona", PE_I32, in->n, in->labels, 1);
  if (st == PE_OK) st = write_table(g, file, r);
  const char *archetypes[PE_ARCHETYPE_COUNT];
  for (int a = 0; a < PE_ARCHETYPE_COUNT; a++) archetypes[a] = pe_archetype_key((pe_archetype)a);
  if (st == PE_OK) st = pe_h5_attr_strings(g, "archetype_names", archetypes, PE_ARCHETYPE_COUNT);
  if (st == PE_OK) st = pe_h5_attr_i64(g, "k", r->k);
  if (st == PE_OK) st = pe_h5_attr_i64(g, "has_sessions", r->has_sessions);
  if (st == PE_OK) st = pe_h5_attr_f64(g, "focus_revenue_share", r->focus_share);
  free(rows);
  H5Gclose(g);
  return st;
}

pe_status pe_persona_report_write_into(const pe_persona_report *r, pe_results_writer *w,
                                       const pe_persona_input *in) {
  PE_FAIL_IF(!r || !in || !w, PE_ERR_USAGE, "describe: nothing to save");
  PE_FAIL_IF(in->n < 1 || in->k != r->k || !in->labels, PE_ERR_USAGE,
             "describe: the input does not match the report (%d vs %d personas)", in->k, r->k);
  return pe__results_note(w, write_group(pe__results_file(w), pe_results_path(w), r, in));
}

pe_status pe_persona_report_save(const pe_persona_report *r, const pe_persona_input *in,
                                 const char *path, const char *const *inputs) {
  PE_FAIL_IF(!r || !in || !path, PE_ERR_USAGE, "describe: nothing to save");
  pe_results_writer *w;
  PE_FORWARD(pe_results_begin(path, inputs, (const char *[]){"/personas", NULL}, &w));
  return pe__results_finish(w, pe_persona_report_write_into(r, w, in));
}

/* "DIR/.BASE.tmp-XXXXXX" beside `path`, for mkstemp. */
static pe_status temp_path_beside(const char *path, char *tmp, size_t size) {
  char dir[4096], base[4096];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  int len = snprintf(tmp, size, "%s/.%s.tmp-XXXXXX", dirname(dir), basename(base));
  PE_FAIL_IF(len < 0 || (size_t)len >= size, PE_ERR_USAGE, "%s: path too long", path);
  return PE_OK;
}

pe_status pe_persona_check_text_path(const char *path, const char *const *protected_paths) {
  PE_FAIL_IF(!path || !*path, PE_ERR_USAGE, "no file to write the report to");
  for (const char *const *p = protected_paths; p && *p; p++)
    PE_FAIL_IF(
        strcmp(path, *p) == 0 || pe_same_file(path, *p), PE_ERR_USAGE,
        "%s: refusing to write the report over an input or results file; choose another name",
        path);
  /* An existing HDF5 file is data, never a stale report: do not replace it. */
  PE_FAIL_IF(access(path, F_OK) == 0 && H5Fis_hdf5(path) > 0, PE_ERR_USAGE,
             "%s: is an HDF5 file; refusing to overwrite it with the report", path);
  /* The temporary file the report is written to must be creatable beside it. */
  char tmp[4096];
  PE_FORWARD(temp_path_beside(path, tmp, sizeof tmp));
  int fd = mkstemp(tmp);
  PE_FAIL_IF(fd < 0, PE_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
             strerror(errno));
  close(fd);
  unlink(tmp);
  return PE_OK;
}

pe_status pe_persona_write_text_file(const char *path, const char *text,
                                     const char *const *protected_paths) {
  PE_FAIL_IF(!text, PE_ERR_USAGE, "no text to write");
  PE_FORWARD(pe_persona_check_text_path(path, protected_paths));
  char tmp[4096];
  PE_FORWARD(temp_path_beside(path, tmp, sizeof tmp));
  int fd = mkstemp(tmp);
  PE_FAIL_IF(fd < 0, PE_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
             strerror(errno));
  /* mkstemp creates 0600; a report is as readable as any file the user makes. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  FILE *f = fdopen(fd, "w");
  if (!f) {
    const int e = errno;
    close(fd);
    unlink(tmp);
    return pe__fail(PE_ERR_IO, "%s: cannot write: %s", path, strerror(e));
  }
  const size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  ok = (fflush(f) == 0) && ok;
  ok = (fsync(fileno(f)) == 0) && ok;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    const int e = errno;
    unlink(tmp);
    return pe__fail(PE_ERR_IO, "%s: cannot write: %s", path, strerror(e));
  }
  return PE_OK;
}
