/* HDF5 side of k-means: reading the N x D matrix and weights, saving and
 * loading the model as /kmeans of a results file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/huge_alloc.h"
#include "io/h5.h"
#include "io/results_writer.h"
#include "kmeans/kmeans_internal.h"

/* About 4 MiB per hyperslab: HDF5's type-conversion buffer stays small and
 * the finite check runs on data still in cache. */
enum { SLAB_BYTES = 4 << 20 };

static pe_status read_slabs(hid_t did, const char *file, const char *dataset, int64_t n, int d,
                            float *x) {
  int64_t rows = SLAB_BYTES / ((int64_t)d * 4);
  if (rows < 1) rows = 1;
  hid_t fspace = H5Dget_space(did);
  pe_status st = PE_OK;
  for (int64_t off = 0; off < n && st == PE_OK; off += rows) {
    hsize_t start[2] = {(hsize_t)off, 0};
    hsize_t count[2] = {(hsize_t)(n - off < rows ? n - off : rows), (hsize_t)d};
    hid_t mspace = H5Screate_simple(2, count, NULL);
    herr_t rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    float *dst = x + (size_t)off * d;
    if (rc >= 0) rc = H5Dread(did, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, dst);
    H5Sclose(mspace);
    if (rc < 0) {
      st = pe__fail(PE_ERR_IO, "%s: %s: reading rows [%lld, %lld) failed (corrupt file?)", file,
                    dataset, (long long)off, (long long)(off + (int64_t)count[0]));
      break;
    }
    int col = 0;
    int64_t bad = pe__kmeans_first_nonfinite(dst, (int64_t)count[0], d, &col);
    if (bad >= 0)
      st = pe__fail(PE_ERR_DATA, "%s: %s: row %lld, column %d is %s; k-means needs finite values",
                    file, dataset, (long long)(off + bad), col,
                    isnan(dst[bad * d + col])
                        ? "NaN"
                        : "infinite in float32 (infinite, or beyond +-3.4e38 in the file)");
  }
  H5Sclose(fspace);
  return st;
}

pe_status pe_kmeans_read_matrix(const char *file, const char *dataset, float **x, int64_t *n,
                                int *d) {
  *x = NULL;
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(file, &fid));
  hid_t did = H5I_INVALID_HID, space = H5I_INVALID_HID, ftype = H5I_INVALID_HID;
  float *buf = NULL;
  pe_status st = PE_OK;
  H5O_info_t info;
  if (!pe_h5_exists(fid, dataset)) {
    st = pe__fail(PE_ERR_DATA, "%s: dataset %s is missing", file, dataset);
    goto done;
  }
  if (H5Oget_info_by_name2(fid, dataset, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_DATASET) {
    st = pe__fail(PE_ERR_DATA, "%s: %s is not a dataset", file, dataset);
    goto done;
  }
  did = H5Dopen2(fid, dataset, H5P_DEFAULT);
  if (did < 0) {
    st = pe__fail(PE_ERR_IO, "%s: cannot open dataset %s", file, dataset);
    goto done;
  }
  space = H5Dget_space(did);
  ftype = H5Dget_type(did);
  int rank = H5Sget_simple_extent_ndims(space);
  H5T_class_t cls = H5Tget_class(ftype);
  hsize_t dims[2] = {0, 0};
  if (rank != 2) {
    st = pe__fail(PE_ERR_DATA, "%s: %s has %d dimension(s), expected a 2-D N x D matrix", file,
                  dataset, rank);
    goto done;
  }
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    st = pe__fail(PE_ERR_DATA, "%s: %s is not numeric, expected float32", file, dataset);
    goto done;
  }
  H5Sget_simple_extent_dims(space, dims, NULL);
  if (dims[0] == 0 || dims[1] == 0 || dims[1] > (1u << 20)) {
    st = pe__fail(PE_ERR_DATA,
                  "%s: %s has shape %llu x %llu; need at least one row and 1 to 2^20 "
                  "columns",
                  file, dataset, (unsigned long long)dims[0], (unsigned long long)dims[1]);
    goto done;
  }
  /* Every Lloyd pass streams the whole matrix: huge pages. */
  buf = pe_huge_alloc((size_t)dims[0] * dims[1] * sizeof(float));
  if (!buf) {
    st = pe__fail(PE_ERR_NOMEM, "%s: %s: cannot allocate %llu x %llu floats", file, dataset,
                  (unsigned long long)dims[0], (unsigned long long)dims[1]);
    goto done;
  }
  PE_CHECK_GOTO(read_slabs(did, file, dataset, (int64_t)dims[0], (int)dims[1], buf), st, done);
  *x = buf;
  buf = NULL;
  *n = (int64_t)dims[0];
  *d = (int)dims[1];
done:
  free(buf);
  if (ftype >= 0) H5Tclose(ftype);
  if (space >= 0) H5Sclose(space);
  if (did >= 0) H5Dclose(did);
  H5Fclose(fid);
  return st;
}

pe_status pe_kmeans_read_weights(const char *file, const char *dataset, int64_t n, float **w) {
  *w = NULL;
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(file, &fid));
  void *data = NULL;
  int64_t rows = 0;
  pe_status st = pe_h5_read_column_all(fid, file, dataset, PE_F32, &data, &rows);
  H5Fclose(fid);
  PE_FORWARD(st);
  float *v = data;
  double total = 0.0;
  if (rows != n)
    st = pe__fail(PE_ERR_DATA, "%s: %s has %lld weights but the data has %lld rows", file, dataset,
                  (long long)rows, (long long)n);
  for (int64_t i = 0; i < rows && st == PE_OK; i++) {
    if (!(v[i] >= 0.0f) || isinf(v[i]))
      st = pe__fail(PE_ERR_DATA, "%s: %s: row %lld is %g; weights must be finite and >= 0", file,
                    dataset, (long long)i, (double)v[i]);
    total += v[i];
  }
  if (st == PE_OK && total <= 0.0)
    st = pe__fail(PE_ERR_DATA, "%s: %s: all weights are 0", file, dataset);
  if (st != PE_OK) {
    free(v);
    return st;
  }
  *w = v;
  return PE_OK;
}

static pe_status attr_u64(hid_t loc, const char *name, uint64_t value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t aid = H5Acreate2(loc, name, H5T_NATIVE_UINT64, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = aid < 0 ? -1 : H5Awrite(aid, H5T_NATIVE_UINT64, &value);
  if (aid >= 0) H5Aclose(aid);
  H5Sclose(space);
  PE_FAIL_IF(rc < 0, PE_ERR_IO, "cannot write attribute %s", name);
  return PE_OK;
}

static pe_status write_model(const pe_kmeans_model *m, hid_t g, const char *file,
                             const char *source) {
  PE_FORWARD(pe_h5_write_matrix(g, file, "centroids", PE_F32, m->k, m->d, m->centroids, 0));
  PE_FORWARD(pe_h5_write_column(g, file, "labels", PE_I32, m->n, m->labels, 1));
  PE_FORWARD(pe_h5_attr_f64(g, "inertia", m->inertia));
  PE_FORWARD(pe_h5_attr_i64(g, "iterations", m->iterations));
  PE_FORWARD(pe_h5_attr_i64(g, "converged", m->converged));
  PE_FORWARD(pe_h5_attr_i64(g, "best_run", m->best_run));
  PE_FORWARD(attr_u64(g, "seed", m->seed));
  PE_FORWARD(pe_h5_attr_str(g, "kernel", m->kernel));
  PE_FORWARD(pe_h5_attr_str(g, "algorithm", m->algorithm));
  PE_FORWARD(pe_h5_attr_str(g, "init", m->init));
  PE_FORWARD(pe_h5_attr_f64(g, "init_seconds", m->init_seconds));
  PE_FORWARD(pe_h5_attr_f64(g, "iter_seconds", m->iter_seconds));
  if (source) PE_FORWARD(pe_h5_attr_str(g, "source", source));
  return PE_OK;
}

pe_status pe_kmeans_model_write_into(const pe_kmeans_model *m, pe_results_writer *w,
                                     const char *source) {
  PE_FAIL_IF(!m || !w, PE_ERR_USAGE, "k-means: no model to write");
  hid_t g = H5I_INVALID_HID;
  pe_status st = pe_h5_replace_group(pe__results_file(w), pe_results_path(w), "/kmeans", &g);
  if (st == PE_OK) st = write_model(m, g, pe_results_path(w), source);
  if (g >= 0) H5Gclose(g);
  return pe__results_note(w, st);
}

pe_status pe_kmeans_model_save(const pe_kmeans_model *m, const char *path,
                               const char *const *inputs, const char *source) {
  /* Predictions and personas made from the previous model go with it. */
  static const char *const replaces[] = {"/kmeans", "/predict", "/personas", NULL};
  pe_results_writer *w;
  PE_FORWARD(pe_results_begin(path, inputs, replaces, &w));
  return pe__results_finish(w, pe_kmeans_model_write_into(m, w, source));
}

static pe_status write_predictions(hid_t g, const char *file, const char *model, const char *source,
                                   int64_t n, const int32_t *labels, const float *sq_dist) {
  PE_FORWARD(pe_h5_write_column(g, file, "labels", PE_I32, n, labels, 1));
  if (sq_dist) PE_FORWARD(pe_h5_write_column(g, file, "sq_dist", PE_F32, n, sq_dist, 1));
  if (model) PE_FORWARD(pe_h5_attr_str(g, "model", model));
  if (source) PE_FORWARD(pe_h5_attr_str(g, "source", source));
  return PE_OK;
}

pe_status pe_kmeans_predictions_save(const char *path, const char *const *inputs, const char *model,
                                     const char *source, int64_t n, const int32_t *labels,
                                     const float *sq_dist) {
  static const char *const replaces[] = {"/predict", NULL};
  pe_h5_out *o = NULL;
  PE_FORWARD(pe_h5_out_begin(path, inputs, replaces, &o));
  hid_t g = H5I_INVALID_HID;
  pe_status st = pe_h5_replace_group(pe_h5_out_file(o), path, "/predict", &g);
  if (st == PE_OK) st = write_predictions(g, path, model, source, n, labels, sq_dist);
  if (g >= 0) H5Gclose(g);
  if (st != PE_OK) {
    pe_h5_out_abort(o);
    return st;
  }
  return pe_h5_out_commit(o);
}

/* Reads a string attribute of /kmeans into buf ("" when absent). */
static void read_str_attr(hid_t g, const char *name, char *buf, size_t size) {
  buf[0] = '\0';
  if (H5Aexists(g, name) <= 0) return;
  hid_t aid = H5Aopen(g, name, H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  char *s = NULL;
  if (aid >= 0 && H5Aread(aid, t, &s) >= 0 && s) {
    snprintf(buf, size, "%s", s);
    H5free_memory(s);
  }
  H5Tclose(t);
  if (aid >= 0) H5Aclose(aid);
}

static pe_status read_model_attrs(hid_t fid, const char *file, pe_kmeans_model *m) {
  double v;
  PE_FORWARD(pe_h5_attr_read_f64(fid, file, "/kmeans", "inertia", &m->inertia));
  PE_FORWARD(pe_h5_attr_read_f64(fid, file, "/kmeans", "iterations", &v));
  m->iterations = (int)v;
  if (pe_h5_attr_read_f64(fid, file, "/kmeans", "converged", &v) == PE_OK) m->converged = (int)v;
  if (pe_h5_attr_read_f64(fid, file, "/kmeans", "best_run", &v) == PE_OK) m->best_run = (int)v;
  if (pe_h5_attr_read_f64(fid, file, "/kmeans", "init_seconds", &v) == PE_OK) m->init_seconds = v;
  if (pe_h5_attr_read_f64(fid, file, "/kmeans", "iter_seconds", &v) == PE_OK) m->iter_seconds = v;
  hid_t g = H5Gopen2(fid, "/kmeans", H5P_DEFAULT);
  PE_FAIL_IF(g < 0, PE_ERR_DATA, "%s: /kmeans is not a group", file);
  if (H5Aexists(g, "seed") > 0) {
    hid_t aid = H5Aopen(g, "seed", H5P_DEFAULT);
    if (aid >= 0) {
      H5Aread(aid, H5T_NATIVE_UINT64, &m->seed);
      H5Aclose(aid);
    }
  }
  read_str_attr(g, "kernel", m->kernel, sizeof m->kernel);
  read_str_attr(g, "algorithm", m->algorithm, sizeof m->algorithm);
  read_str_attr(g, "init", m->init, sizeof m->init);
  H5Gclose(g);
  return PE_OK;
}

pe_status pe_kmeans_model_load(const char *path, pe_kmeans_model **out) {
  *out = NULL;
  pe_kmeans_model *m = calloc(1, sizeof *m);
  PE_FAIL_IF(!m, PE_ERR_NOMEM, "out of memory");
  int64_t k = 0;
  pe_status st = pe_kmeans_read_matrix(path, "/kmeans/centroids", &m->centroids, &k, &m->d);
  if (st == PE_OK && k > INT32_MAX)
    st = pe__fail(PE_ERR_DATA, "%s: /kmeans/centroids has too many rows", path);
  if (st != PE_OK) {
    char why[512];
    snprintf(why, sizeof why, "%s", personae_last_error());
    pe_kmeans_model_free(m);
    return pe__fail(st, "%s: not a k-means model: %s", path, why);
  }
  m->k = (int)k;
  hid_t fid;
  st = pe_h5_open_read(path, &fid);
  if (st == PE_OK) {
    void *labels = NULL;
    st = pe_h5_read_column_all(fid, path, "/kmeans/labels", PE_I32, &labels, &m->n);
    m->labels = labels;
    if (st == PE_OK) st = read_model_attrs(fid, path, m);
    H5Fclose(fid);
  }
  if (st != PE_OK) {
    pe_kmeans_model_free(m);
    return st;
  }
  *out = m;
  return PE_OK;
}
