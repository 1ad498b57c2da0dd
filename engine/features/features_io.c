/* The /features group of a result file (docs/features.md): written
 * atomically beside the other steps' groups, and read back for `predict`
 * and the persona step. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/error.h"
#include "features/features_internal.h"
#include "io/h5.h"
#include "io/results_writer.h"

static const char *transform_name(pe_feature_scaling t) {
  return t == PE_SCALE_LOG1P ? "log1p" : "linear";
}

static const char *missing_name(pe_feature_missing m) {
  return m == PE_MISSING_ZERO ? "zero" : "neutral";
}

/* Each share's evidence counts as a column of /features/evidence_counts,
 * named by the feature (the other columns' counts are 0 and not stored). */
static pe_status write_evidence_counts(const pe_features *f, hid_t gid, const char *file) {
  hid_t eg = H5Gcreate2(gid, "evidence_counts", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PE_FAIL_IF(eg < 0, PE_ERR_IO, "%s: cannot create /features/evidence_counts", file);
  const size_t n = (size_t)(f->n ? f->n : 1);
  float *cols = malloc(n * (size_t)f->d * sizeof *cols);
  pe_h5_dataset_spec specs[PE_FEATURE_COUNT];
  int m = 0;
  pe_status st = cols ? PE_OK : pe__fail(PE_ERR_NOMEM, "out of memory");
  int from[PE_FEATURE_COUNT];
  for (int j = 0; j < f->d && st == PE_OK; j++) {
    if (f->evidence[j] == PE_EVIDENCE_NONE) continue;
    from[m] = j;
    specs[m] = (pe_h5_dataset_spec){pe_feature_key(f->column[j]), PE_F32, f->n, 0,
                                    cols + (size_t)m * n,         1,      0};
    m++;
  }
  /* The columns out of the row-major matrix in one parallel pass over it
   * (column by column on one thread, it took 0.01 s at 1M customers). */
  if (st == PE_OK) {
    const int d = f->d;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < f->n; i++)
      for (int k = 0; k < m; k++) cols[(size_t)k * n + (size_t)i] = f->evidence_n[i * d + from[k]];
  }
  if (st == PE_OK) st = pe_h5_write_many(eg, file, specs, m);
  free(cols);
  H5Gclose(eg);
  return st;
}

static pe_status write_group(const pe_features *f, hid_t fid, pe_h5_out *out, const char *file) {
  hid_t gid;
  PE_FORWARD(pe_h5_out_replace_group(out, fid, file, "/features", &gid));
  const char *names[PE_FEATURE_COUNT], *transforms[PE_FEATURE_COUNT], *missing[PE_FEATURE_COUNT];
  const char *evidence[PE_FEATURE_COUNT];
  for (int j = 0; j < f->d; j++) {
    names[j] = pe_feature_key(f->column[j]);
    transforms[j] = transform_name(f->transform[j]);
    missing[j] = missing_name(f->missing[j]);
    evidence[j] = pe_feature_evidence_key(f->evidence[j]);
  }
  char as_of_date[16];
  pe_format_iso_date(f->summary.as_of, as_of_date);
  const pe_features_summary *s = &f->summary;
  /* Float matrices are stored uncompressed: deflate gains little on them and
   * would cost more time than computing them. Within an update they are
   * written by its writer thread, by direct I/O, while the caller goes on
   * (the features live until the commit: pe_features_write_into). */
  const pe_h5_dataset_spec specs[] = {
      {"customer_id", PE_I64, f->n, 0, f->customer_id, 1, 1},
      {"raw", PE_F32, f->n, f->d, f->raw, 0, 1},
      {"scaled", PE_F32, f->n, f->d, f->scaled, 0, 1},
      {"has_value", PE_U8, f->n, f->d, f->has_value, 1, 1},
  };
  pe_status st = pe_h5_write_many_to(out, gid, file, specs, (int)(sizeof specs / sizeof specs[0]));
  if (st == PE_OK) st = pe_h5_write_strings(gid, file, "names", names, f->d);
  if (st == PE_OK) st = pe_h5_write_strings(gid, file, "transform", transforms, f->d);
  if (st == PE_OK) st = pe_h5_write_column(gid, file, "center", PE_F64, f->d, f->center, 0);
  if (st == PE_OK) st = pe_h5_write_column(gid, file, "scale", PE_F64, f->d, f->scale, 0);
  if (st == PE_OK) st = pe_h5_write_column(gid, file, "prior", PE_F64, f->d, f->prior, 0);
  if (st == PE_OK) st = pe_h5_write_strings(gid, file, "evidence", evidence, f->d);
  if (st == PE_OK) st = write_evidence_counts(f, gid, file);
  if (st == PE_OK) st = pe_h5_write_strings(gid, file, "missing", missing, f->d);
  if (st == PE_OK) st = pe_h5_attr_f64(gid, "prior_weight", PE_FEATURES_PRIOR_WEIGHT);
  if (st == PE_OK) st = pe_h5_attr_f64(gid, "clip", PE_FEATURES_CLIP);
  if (st == PE_OK) st = pe_h5_attr_strings(gid, "names", names, f->d);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "as_of", s->as_of);
  if (st == PE_OK) st = pe_h5_attr_str(gid, "as_of_date", as_of_date);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "customers", f->n);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "customers_with_purchase", s->customers_with_purchase);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "customers_with_sessions", s->customers_with_sessions);
  if (st == PE_OK) st = pe_h5_attr_i64(gid, "has_sessions", s->has_sessions);
  if (st == PE_OK)
    st = pe_h5_attr_str(
        gid, "scaling",
        "share with evidence: x = (raw * n + prior_weight * prior) / "
        "(n + prior_weight), n = evidence_counts/<feature>; v = transform(x), log1p is "
        "sign(x) * log1p(|x|); scaled = clamp((v - center) / scale, +-clip) "
        "where the customer has a value or missing is 'zero', else 0; center, "
        "scale = mean, standard deviation of v over those customers");
  H5Gclose(gid);
  return st;
}

pe_status pe_features_write_into(const pe_features *f, pe_results_writer *w, const char *input) {
  PE_FAIL_IF(!f || !w, PE_ERR_USAGE, "features: nothing to write");
  const char *output = pe_results_path(w);
  pe_status st = write_group(f, pe__results_file(w), pe__results_out(w), output);
  if (st == PE_OK && input) {
    hid_t gid = H5Gopen2(pe__results_file(w), "/features", H5P_DEFAULT);
    st = gid < 0 ? pe__fail(PE_ERR_IO, "%s: cannot reopen /features", output)
                 : pe_h5_stamp_input(gid, input);
    if (gid >= 0) H5Gclose(gid);
  }
  return pe__results_note(w, st);
}

pe_status pe_features_write(const pe_features *f, const char *output, const char *const *inputs) {
  /* A model, its predictions and the personas made from the previous
   * features go with them. */
  const char *replaces[] = {"/features", "/kmeans", "/predict", "/personas", NULL};
  pe_results_writer *w;
  PE_FORWARD(pe_results_begin(output, inputs, replaces, &w));
  return pe__results_finish(w, pe_features_write_into(f, w, inputs ? inputs[0] : NULL));
}

/* ---- reading ---- */

/* Reads a 2-D dataset that must be rows x cols, converted to `mem_type`. */
static pe_status read_matrix(hid_t fid, const char *file, const char *path, hid_t mem_type,
                             int64_t rows, int cols, void *dst) {
  hid_t did = H5Dopen2(fid, path, H5P_DEFAULT);
  PE_FAIL_IF(did < 0, PE_ERR_DATA, "%s: %s is missing", file, path);
  hid_t space = H5Dget_space(did);
  hsize_t dims[2] = {0, 0};
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank == 2) H5Sget_simple_extent_dims(space, dims, NULL);
  if (space >= 0) H5Sclose(space);
  pe_status st = PE_OK;
  if (rank != 2 || dims[0] != (hsize_t)rows || dims[1] != (hsize_t)cols)
    st = pe__fail(PE_ERR_DATA, "%s: %s: expected a %lld x %d matrix", file, path, (long long)rows,
                  cols);
  else if (rows > 0 && H5Dread(did, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
    st = pe__fail(PE_ERR_IO, "%s: %s: read failed", file, path);
  H5Dclose(did);
  return st;
}

/* Reads a 1-D dataset of 1 to `max` variable-length strings into new
 * strdup'ed strings `out[0..*count)`. */
static pe_status read_strings(hid_t fid, const char *file, const char *path, char **out, int max,
                              int *count) {
  hid_t did = H5Dopen2(fid, path, H5P_DEFAULT);
  PE_FAIL_IF(did < 0, PE_ERR_DATA, "%s: %s is missing", file, path);
  hid_t space = H5Dget_space(did), type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  hsize_t dims[1] = {0};
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank == 1) H5Sget_simple_extent_dims(space, dims, NULL);
  pe_status st = PE_OK;
  char *tmp[PE_FEATURE_COUNT + 1] = {0};
  if (rank != 1 || dims[0] < 1 || dims[0] > (hsize_t)max)
    st = pe__fail(PE_ERR_DATA, "%s: %s: expected 1 to %d names", file, path, max);
  else if (H5Dread(did, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
    st = pe__fail(PE_ERR_DATA, "%s: %s: not a list of strings", file, path);
  if (st == PE_OK) {
    *count = (int)dims[0];
    for (int i = 0; i < *count; i++) {
      out[i] = tmp[i] ? strdup(tmp[i]) : strdup("");
      if (!out[i]) st = pe__fail(PE_ERR_NOMEM, "out of memory");
    }
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, tmp);
  }
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(did);
  return st;
}

static pe_status read_names(hid_t fid, const char *file, pe_features *f) {
  char *names[PE_FEATURE_COUNT] = {0}, *transforms[PE_FEATURE_COUNT] = {0};
  int d = 0, dt = 0;
  pe_status st = read_strings(fid, file, "/features/names", names, PE_FEATURE_COUNT, &d);
  if (st == PE_OK)
    st = read_strings(fid, file, "/features/transform", transforms, PE_FEATURE_COUNT, &dt);
  if (st == PE_OK && dt != d)
    st = pe__fail(PE_ERR_DATA, "%s: /features/transform has %d entries, /features/names %d", file,
                  dt, d);
  for (int j = 0; st == PE_OK && j < d; j++) {
    if (pe_feature_from_key(names[j], &f->column[j]) != PE_OK)
      st = pe__fail(PE_ERR_DATA, "%s: /features/names: unknown feature '%s'", file, names[j]);
    else if (strcmp(transforms[j], "log1p") == 0)
      f->transform[j] = PE_SCALE_LOG1P;
    else if (strcmp(transforms[j], "linear") == 0)
      f->transform[j] = PE_SCALE_LINEAR;
    else
      st = pe__fail(PE_ERR_DATA, "%s: /features/transform: unknown transform '%s'", file,
                    transforms[j]);
  }
  f->d = d;
  for (int j = 0; j < PE_FEATURE_COUNT; j++) {
    free(names[j]);
    free(transforms[j]);
  }
  return st;
}

static pe_status read_vector(hid_t fid, const char *file, const char *path, int d, double *dst) {
  void *data = NULL;
  int64_t rows = 0;
  PE_FORWARD(pe_h5_read_column_all(fid, file, path, PE_F64, &data, &rows));
  pe_status st = PE_OK;
  if (rows != d)
    st = pe__fail(PE_ERR_DATA, "%s: %s has %lld values, expected %d (one per feature)", file, path,
                  (long long)rows, d);
  else
    memcpy(dst, data, (size_t)d * sizeof *dst);
  free(data);
  return st;
}

/* The stored scaling rules must be the ones this build applies: rescaling
 * new rows with other rules would not reproduce the stored matrix. */
static pe_status check_rules(hid_t fid, const char *file, pe_features *f) {
  char *missing[PE_FEATURE_COUNT] = {0}, *evidence[PE_FEATURE_COUNT] = {0};
  int dm = 0, de = 0;
  pe_status st = read_strings(fid, file, "/features/missing", missing, PE_FEATURE_COUNT, &dm);
  if (st == PE_OK)
    st = read_strings(fid, file, "/features/evidence", evidence, PE_FEATURE_COUNT, &de);
  for (int j = 0; st == PE_OK && j < f->d; j++)
    if (dm != f->d || de != f->d || strcmp(missing[j], missing_name(f->missing[j])) != 0 ||
        strcmp(evidence[j], pe_feature_evidence_key(f->evidence[j])) != 0)
      st = pe__fail(PE_ERR_DATA,
                    "%s: /features: the scaling rules of '%s' differ from this personae's "
                    "(written by another version: run `personae features` again)",
                    file, pe_feature_key(f->column[j < f->d ? j : 0]));
  double w = 0, clip = 0;
  if (st == PE_OK) st = pe_h5_attr_read_f64(fid, file, "/features", "prior_weight", &w);
  if (st == PE_OK) st = pe_h5_attr_read_f64(fid, file, "/features", "clip", &clip);
  if (st == PE_OK && (w != PE_FEATURES_PRIOR_WEIGHT || clip != PE_FEATURES_CLIP))
    st = pe__fail(PE_ERR_DATA,
                  "%s: /features: prior_weight %g and clip %g differ from this personae's (%g, "
                  "%g): run `personae features` again",
                  file, w, clip, PE_FEATURES_PRIOR_WEIGHT, PE_FEATURES_CLIP);
  for (int j = 0; j < PE_FEATURE_COUNT; j++) {
    free(missing[j]);
    free(evidence[j]);
  }
  return st;
}

static pe_status read_evidence_counts(hid_t fid, const char *file, pe_features *f) {
  memset(f->evidence_n, 0, (size_t)f->n * (size_t)f->d * sizeof *f->evidence_n);
  for (int j = 0; j < f->d; j++) {
    if (f->evidence[j] == PE_EVIDENCE_NONE) continue;
    char path[128];
    snprintf(path, sizeof path, "/features/evidence_counts/%s", pe_feature_key(f->column[j]));
    void *col = NULL;
    int64_t rows = 0;
    PE_FORWARD(pe_h5_read_column_all(fid, file, path, PE_F32, &col, &rows));
    if (rows != f->n) {
      free(col);
      return pe__fail(PE_ERR_DATA, "%s: %s has %lld rows, /features/customer_id %lld", file, path,
                      (long long)rows, (long long)f->n);
    }
    for (int64_t i = 0; i < f->n; i++) f->evidence_n[i * f->d + j] = ((const float *)col)[i];
    free(col);
  }
  return PE_OK;
}

static pe_status read_group(hid_t fid, const char *file, pe_features *f) {
  PE_FAIL_IF(!pe_h5_exists(fid, "/features"), PE_ERR_DATA,
             "%s: /features is absent (run `personae features` first)", file);
  PE_FORWARD(read_names(fid, file, f));
  void *ids = NULL;
  PE_FORWARD(pe_h5_read_column_all(fid, file, "/features/customer_id", PE_I64, &ids, &f->n));
  pe_status st = pe__feat_alloc(f);
  if (st == PE_OK) memcpy(f->customer_id, ids, (size_t)f->n * sizeof *f->customer_id);
  free(ids);
  PE_FORWARD(st);
  PE_FORWARD(read_matrix(fid, file, "/features/raw", H5T_NATIVE_FLOAT, f->n, f->d, f->raw));
  PE_FORWARD(read_matrix(fid, file, "/features/scaled", H5T_NATIVE_FLOAT, f->n, f->d, f->scaled));
  PE_FORWARD(
      read_matrix(fid, file, "/features/has_value", H5T_NATIVE_UINT8, f->n, f->d, f->has_value));
  PE_FORWARD(read_vector(fid, file, "/features/center", f->d, f->center));
  PE_FORWARD(read_vector(fid, file, "/features/scale", f->d, f->scale));
  PE_FAIL_IF(!pe_h5_exists(fid, "/features/prior"), PE_ERR_DATA,
             "%s: /features/prior is absent (written by an older personae: run `personae "
             "features` again)",
             file);
  PE_FORWARD(read_vector(fid, file, "/features/prior", f->d, f->prior));
  pe__feat_scaling_rules(f);
  PE_FORWARD(check_rules(fid, file, f));
  PE_FORWARD(read_evidence_counts(fid, file, f));
  for (int j = 0; j < f->d; j++)
    PE_FAIL_IF(!(f->scale[j] > 0), PE_ERR_DATA, "%s: /features/scale: entry %d is not positive",
               file, j);
  double as_of, v;
  PE_FORWARD(pe_h5_attr_read_f64(fid, file, "/features", "as_of", &as_of));
  f->summary.as_of = (int64_t)as_of;
  f->summary.customers = f->n;
  /* Counts that describe the run; older or hand-made files may lack them. */
  if (pe_h5_attr_read_f64(fid, file, "/features", "has_sessions", &v) == PE_OK)
    f->summary.has_sessions = v != 0;
  if (pe_h5_attr_read_f64(fid, file, "/features", "customers_with_purchase", &v) == PE_OK)
    f->summary.customers_with_purchase = (int64_t)v;
  if (pe_h5_attr_read_f64(fid, file, "/features", "customers_with_sessions", &v) == PE_OK)
    f->summary.customers_with_sessions = (int64_t)v;
  pe__clear_error();
  return PE_OK;
}

pe_status pe_features_read(const char *results_path, pe_features **out) {
  *out = NULL;
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(results_path, &fid));
  pe_features *f = calloc(1, sizeof *f);
  pe_status st = f ? read_group(fid, results_path, f) : pe__fail(PE_ERR_NOMEM, "out of memory");
  H5Fclose(fid);
  if (st != PE_OK) {
    pe_features_free(f);
    return st;
  }
  *out = f;
  return PE_OK;
}
