/* Writing columns, matrices, strings and attributes. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/h5.h"
#include "io/h5_chunks.h"

/* About 1 MiB per chunk: large enough for deflate to pay and for sequential
 * reads, small enough that a hyperslab read touches little more than it needs. */
static hsize_t default_chunk_rows(pe_dtype type) {
  return (hsize_t)(1u << 20) / pe_dtype_size(type);
}

/* A dataset creation list without modification times, so that the same data
 * gives the same file bytes (HDF5 stamps every object by default). */
static hid_t untimed_dcpl(void) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl, 0);
  return dcpl;
}

static hid_t column_dcpl(int rank, const hsize_t *chunk, int compress) {
  hid_t dcpl = untimed_dcpl();
  H5Pset_chunk(dcpl, rank, chunk);
  if (compress) {
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 1);
  }
  return dcpl;
}

/* Creates dataset `name` for a column (cols == 0) or a row-major matrix,
 * chunked in blocks of whole rows of about 1 MiB, compressed when asked and
 * when it pays (pe_h5_deflate_pays). */
/* Where a dataset's bytes are written later by the output's writer thread
 * (pe_h5_out_write_later): stored as they are, contiguous, its file space
 * allocated now and never filled by HDF5. */
static hid_t later_dcpl(void) {
  hid_t dcpl = untimed_dcpl();
  H5Pset_layout(dcpl, H5D_CONTIGUOUS);
  H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  return dcpl;
}

/* Creates dataset `name` for a column (cols == 0) or a row-major matrix,
 * chunked in blocks of whole rows of about 1 MiB, compressed when asked and
 * when it pays (pe_h5_deflate_pays); or, when `later` may take it, stored
 * as it is for the writer thread (*later set). */
static pe_status create_dataset(hid_t loc, const char *file, const pe_h5_dataset_spec *spec,
                                pe_h5_out *out, hid_t *did, int *later) {
  const int rank = spec->cols > 0 ? 2 : 1;
  hsize_t dims[2] = {(hsize_t)spec->rows, (hsize_t)(spec->cols > 0 ? spec->cols : 1)};
  hsize_t chunk[2] = {default_chunk_rows(spec->type), dims[1]};
  if (rank == 2) chunk[0] = chunk[0] / dims[1] ? chunk[0] / dims[1] : 1;
  if (chunk[0] > dims[0]) chunk[0] = dims[0] ? dims[0] : 1;
  hid_t space = H5Screate_simple(rank, dims, NULL);
  const size_t bytes = (size_t)spec->rows * dims[1] * pe_dtype_size(spec->type);
  /* Chunking needs a non-empty chunk; an empty dataset is stored contiguous. */
  const int compress =
      spec->compress &&
      pe_h5_deflate_pays(spec->data, spec->rows * (int64_t)dims[1], pe_dtype_size(spec->type));
  *later = out && spec->lasting && !compress && bytes >= PE_H5_LATER_MIN;
  hid_t dcpl = *later           ? later_dcpl()
               : spec->rows > 0 ? column_dcpl(rank, chunk, compress)
                                : untimed_dcpl();
  *did = H5Dcreate2(loc, spec->name, pe_dtype_native(spec->type), space, H5P_DEFAULT, dcpl,
                    H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  PE_FAIL_IF(*did < 0, PE_ERR_IO, "%s: cannot create dataset %s (disk full?)", file, spec->name);
  return PE_OK;
}

pe_status pe_h5_write_many(hid_t loc, const char *file, const pe_h5_dataset_spec *specs, int n) {
  return pe_h5_write_many_to(NULL, loc, file, specs, n);
}

pe_status pe_h5_write_many_to(pe_h5_out *out, hid_t loc, const char *file,
                              const pe_h5_dataset_spec *specs, int n) {
  hid_t *did = malloc((size_t)(n > 0 ? n : 1) * sizeof *did);
  pe_h5_chunk_layout *layout = malloc((size_t)(n > 0 ? n : 1) * sizeof *layout);
  pe_h5_chunk_write_request *req = malloc((size_t)(n > 0 ? n : 1) * sizeof *req);
  pe_status st = did && layout && req ? PE_OK : pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
  int created = 0, nreq = 0;
  for (; st == PE_OK && created < n; created++) {
    const pe_h5_dataset_spec *sp = &specs[created];
    int later = 0;
    st = create_dataset(loc, file, sp, out, &did[created], &later);
    if (st != PE_OK) break;
    const hid_t mem = pe_dtype_native(sp->type);
    const int64_t width = sp->cols > 0 ? sp->cols : 1;
    const size_t bytes = (size_t)(sp->rows * width) * pe_dtype_size(sp->type);
    const haddr_t at = later ? H5Dget_offset(did[created]) : HADDR_UNDEF;
    if (later && at != HADDR_UNDEF) {
      st = pe_h5_out_write_later(out, (int64_t)at, sp->data, bytes, sp->name);
      continue;
    }
    pe_h5_matrix_layout_of(did[created], mem, &layout[created]);
    /* Chunks this code can write go through the chunk writer (compressed
     * ones by the parallel codec); anything else is one plain HDF5 write. */
    if (sp->rows > 0 && layout[created].usable)
      req[nreq++] = (pe_h5_chunk_write_request){did[created],     &layout[created], sp->data,
                                                sp->rows * width, sp->name,         0};
    else if (sp->rows > 0 &&
             H5Dwrite(did[created], mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, sp->data) < 0)
      st = pe__fail(PE_ERR_IO, "%s: cannot write dataset %s (disk full?)", file, sp->name);
  }
  if (st == PE_OK) st = pe_h5_chunks_write_many(req, nreq, file);
  for (int i = 0; i < created && did; i++)
    if (did[i] >= 0) H5Dclose(did[i]);
  free(did);
  free(layout);
  free(req);
  return st;
}

pe_status pe_h5_write_matrix(hid_t loc, const char *file, const char *name, pe_dtype type,
                             int64_t rows, int64_t cols, const void *data, int compress) {
  const pe_h5_dataset_spec spec = {name, type, rows, cols, data, compress, 0};
  return pe_h5_write_many(loc, file, &spec, 1);
}

pe_status pe_h5_write_column(hid_t loc, const char *file, const char *name, pe_dtype type,
                             int64_t rows, const void *data, int compress) {
  return pe_h5_write_matrix(loc, file, name, type, rows, 0, data, compress);
}

static hid_t utf8_string_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

pe_status pe_h5_write_strings(hid_t loc, const char *file, const char *name,
                              const char *const *strings, int64_t count) {
  hsize_t dims = (hsize_t)count;
  hid_t t = utf8_string_type();
  hid_t space = H5Screate_simple(1, &dims, NULL);
  hid_t dcpl = untimed_dcpl();
  hid_t did = H5Dcreate2(loc, name, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  herr_t rc = did < 0 ? -1 : 0;
  if (rc >= 0 && count > 0) rc = H5Dwrite(did, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings);
  if (did >= 0) H5Dclose(did);
  H5Sclose(space);
  H5Tclose(t);
  PE_FAIL_IF(rc < 0, PE_ERR_IO, "%s: cannot write string dataset %s", file, name);
  return PE_OK;
}

static pe_status write_attr(hid_t loc, const char *name, hid_t type, hid_t space, const void *buf) {
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t aid = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = aid < 0 ? -1 : H5Awrite(aid, type, buf);
  if (aid >= 0) H5Aclose(aid);
  H5Sclose(space);
  PE_FAIL_IF(rc < 0, PE_ERR_IO, "cannot write attribute %s", name);
  return PE_OK;
}

pe_status pe_h5_attr_i64(hid_t loc, const char *name, int64_t value) {
  return write_attr(loc, name, H5T_NATIVE_INT64, H5Screate(H5S_SCALAR), &value);
}

pe_status pe_h5_attr_f64(hid_t loc, const char *name, double value) {
  return write_attr(loc, name, H5T_NATIVE_DOUBLE, H5Screate(H5S_SCALAR), &value);
}

pe_status pe_h5_attr_str(hid_t loc, const char *name, const char *value) {
  hid_t t = utf8_string_type();
  pe_status st = write_attr(loc, name, t, H5Screate(H5S_SCALAR), &value);
  H5Tclose(t);
  return st;
}

pe_status pe_h5_attr_strings(hid_t loc, const char *name, const char *const *values, int count) {
  hid_t t = utf8_string_type();
  hsize_t dims = (hsize_t)count;
  pe_status st = write_attr(loc, name, t, H5Screate_simple(1, &dims, NULL), values);
  H5Tclose(t);
  return st;
}

pe_status pe_h5_attr_read_f64(hid_t loc, const char *file, const char *obj, const char *name,
                              double *value) {
  PE_FAIL_IF(H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0, PE_ERR_DATA,
             "%s: %s has no attribute '%s'", file, obj, name);
  hid_t aid = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = aid < 0 ? -1 : H5Aread(aid, H5T_NATIVE_DOUBLE, value);
  if (aid >= 0) H5Aclose(aid);
  PE_FAIL_IF(rc < 0, PE_ERR_DATA, "%s: %s: attribute '%s' is not numeric", file, obj, name);
  return PE_OK;
}

pe_status pe_h5_appender_create(hid_t loc, const char *file, const char *name, pe_dtype type,
                                int64_t chunk_rows, int compress, pe_h5_appender *app) {
  memset(app, 0, sizeof *app);
  app->type = type;
  app->file = file;
  snprintf(app->name, sizeof app->name, "%s", name);
  hsize_t dims = 0, maxdims = H5S_UNLIMITED;
  hsize_t chunk = chunk_rows > 0 ? (hsize_t)chunk_rows : default_chunk_rows(type);
  hid_t space = H5Screate_simple(1, &dims, &maxdims);
  hid_t dcpl = column_dcpl(1, &chunk, compress);
  app->did = H5Dcreate2(loc, name, pe_dtype_native(type), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  PE_FAIL_IF(app->did < 0, PE_ERR_IO, "%s: cannot create dataset %s", file, name);
  pe_h5_chunk_layout_of(app->did, pe_dtype_native(type), &app->layout);
  /* Two chunks per thread keep every thread compressing while bounding memory. */
  app->stage_chunks = 2 * (int64_t)omp_get_max_threads();
  app->stage = malloc((size_t)(app->stage_chunks * app->layout.chunk_rows) * pe_dtype_size(type));
  PE_FAIL_IF(!app->layout.usable || !app->stage, PE_ERR_NOMEM, "%s: %s: out of memory", file, name);
  return PE_OK;
}

/* Writes the first `nchunks` staged chunks (the last one padded with zeros). */
static pe_status write_staged(pe_h5_appender *app, int64_t nchunks, int64_t rows_after) {
  hsize_t extent = (hsize_t)rows_after;
  PE_FAIL_IF(H5Dset_extent(app->did, &extent) < 0, PE_ERR_IO,
             "%s: cannot extend dataset %s (disk full?)", app->file, app->name);
  PE_FORWARD(pe_h5_chunks_write(app->did, &app->layout, app->chunks_written, nchunks, app->stage,
                                app->file, app->name));
  app->chunks_written += nchunks;
  return PE_OK;
}

pe_status pe_h5_appender_append(pe_h5_appender *app, const void *data, int64_t count) {
  const size_t elem = pe_dtype_size(app->type);
  const int64_t capacity = app->stage_chunks * app->layout.chunk_rows;
  const unsigned char *src = data;
  while (count > 0) {
    int64_t take = capacity - app->staged < count ? capacity - app->staged : count;
    memcpy(app->stage + (size_t)app->staged * elem, src, (size_t)take * elem);
    app->staged += take;
    app->rows += take;
    src += (size_t)take * elem;
    count -= take;
    if (app->staged == capacity) {
      PE_FORWARD(write_staged(app, app->stage_chunks, app->rows));
      app->staged = 0;
    }
  }
  return PE_OK;
}

pe_status pe_h5_appender_flush(pe_h5_appender *app) {
  const int64_t chunk = app->layout.chunk_rows;
  if (app->staged > 0) {
    int64_t nchunks = (app->staged + chunk - 1) / chunk;
    size_t elem = pe_dtype_size(app->type);
    memset(app->stage + (size_t)app->staged * elem, 0,
           (size_t)(nchunks * chunk - app->staged) * elem);
    PE_FORWARD(write_staged(app, nchunks, app->rows));
    app->staged = 0;
  }
  return PE_OK;
}

void pe_h5_appender_close(pe_h5_appender *app) {
  /* Callers should flush and check; this keeps a forgotten flush from
   * silently truncating the column. */
  if (app->did > 0 && app->staged > 0) pe_h5_appender_flush(app);
  if (app->did > 0) H5Dclose(app->did);
  app->did = H5I_INVALID_HID;
  free(app->stage);
  app->stage = NULL;
}

pe_status pe_h5_replace_group(hid_t fid, const char *file, const char *group, hid_t *gid) {
  if (pe_h5_exists(fid, group)) {
    PE_FAIL_IF(H5Ldelete(fid, group, H5P_DEFAULT) < 0, PE_ERR_IO, "%s: cannot replace group %s",
               file, group);
  }
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(gcpl, 0);
  *gid = H5Gcreate2(fid, group, lcpl, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  H5Pclose(lcpl);
  PE_FAIL_IF(*gid < 0, PE_ERR_IO, "%s: cannot create group %s", file, group);
  return PE_OK;
}
