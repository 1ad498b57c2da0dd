/* Reading columns and tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/h5.h"

static const struct {
  const char *name;
  size_t size;
  int is_float;
  int is_signed;
} dtype_info[PE_DTYPE_COUNT] = {
    [PE_I8] = {"int8", 1, 0, 1},     [PE_U8] = {"uint8", 1, 0, 0},  [PE_I16] = {"int16", 2, 0, 1},
    [PE_I32] = {"int32", 4, 0, 1},   [PE_I64] = {"int64", 8, 0, 1}, [PE_F32] = {"float32", 4, 1, 1},
    [PE_F64] = {"float64", 8, 1, 1},
};

size_t pe_dtype_size(pe_dtype t) {
  return dtype_info[t].size;
}
const char *pe_dtype_name(pe_dtype t) {
  return dtype_info[t].name;
}

hid_t pe_dtype_native(pe_dtype t) {
  switch (t) {
    case PE_I8: return H5T_NATIVE_INT8;
    case PE_U8: return H5T_NATIVE_UINT8;
    case PE_I16: return H5T_NATIVE_INT16;
    case PE_I32: return H5T_NATIVE_INT32;
    case PE_I64: return H5T_NATIVE_INT64;
    case PE_F32: return H5T_NATIVE_FLOAT;
    case PE_F64: return H5T_NATIVE_DOUBLE;
    default: return H5I_INVALID_HID;
  }
}

void pe_h5_init(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

pe_status pe_h5_open_read(const char *path, hid_t *fid) {
  pe_h5_init();
  struct stat st;
  PE_FAIL_IF(stat(path, &st) != 0, PE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  PE_FAIL_IF(S_ISDIR(st.st_mode), PE_ERR_IO, "%s: is a directory, expected an HDF5 file", path);
  PE_FAIL_IF(access(path, R_OK) != 0, PE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  htri_t is_h5 = H5Fis_hdf5(path);
  PE_FAIL_IF(is_h5 <= 0, PE_ERR_DATA, "%s: not an HDF5 file", path);
  *fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  /* It is readable and has an HDF5 signature: if it still does not open, the
   * file itself is damaged (cut short by a full disk or an interrupted copy),
   * which is bad data, not an I/O failure. */
  PE_FAIL_IF(*fid < 0, PE_ERR_DATA,
             "%s: damaged HDF5 file (truncated or corrupt: HDF5 cannot open it)", path);
  return PE_OK;
}

int pe_h5_exists(hid_t fid, const char *path) {
  /* H5Lexists must be asked one path component at a time. */
  char buf[512];
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, path, len + 1);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (H5Lexists(fid, buf, H5P_DEFAULT) <= 0) return 0;
      *p = saved;
      if (saved == '\0') break;
    }
  }
  return 1;
}

/* Classifies an HDF5 file type as one of ours, or -1 if it is none. */
static int classify(hid_t ftype, pe_dtype *out) {
  H5T_class_t cls = H5Tget_class(ftype);
  size_t size = H5Tget_size(ftype);
  if (cls == H5T_FLOAT) {
    if (size == 4)
      *out = PE_F32;
    else if (size == 8)
      *out = PE_F64;
    else
      return -1;
    return 0;
  }
  if (cls == H5T_INTEGER) {
    int sign = H5Tget_sign(ftype) == H5T_SGN_2;
    switch (size) {
      case 1: *out = sign ? PE_I8 : PE_U8; return 0;
      case 2:
        if (!sign) return -1;
        *out = PE_I16;
        return 0;
      case 4:
        if (!sign) return -1;
        *out = PE_I32;
        return 0;
      case 8:
        if (!sign) return -1;
        *out = PE_I64;
        return 0;
      default: return -1;
    }
  }
  return -1;
}

/* Whether data stored as `have` converts to `want` without loss. */
static int compatible(pe_dtype have, pe_dtype want) {
  if (have == want) return 1;
  int hf = dtype_info[have].is_float, wf = dtype_info[want].is_float;
  if (hf != wf) return 0;
  if (hf) return dtype_info[have].size <= dtype_info[want].size;
  if (have == PE_U8) return want != PE_I8; /* uint8 fits every wider signed int */
  if (want == PE_U8) return 0;
  return dtype_info[have].size <= dtype_info[want].size;
}

pe_status pe_h5_column_open(hid_t fid, const char *file, const char *path, pe_dtype want,
                            pe_h5_column *col) {
  memset(col, 0, sizeof *col);
  col->did = H5I_INVALID_HID;
  col->file = file;
  col->type = want;
  snprintf(col->path, sizeof col->path, "%s", path);
  PE_FAIL_IF(!pe_h5_exists(fid, path), PE_ERR_DATA, "%s: dataset %s is missing", file, path);
  H5O_info_t info;
  PE_FAIL_IF(H5Oget_info_by_name2(fid, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
                 info.type != H5O_TYPE_DATASET,
             PE_ERR_DATA, "%s: %s is not a dataset", file, path);
  hid_t did = H5Dopen2(fid, path, H5P_DEFAULT);
  PE_FAIL_IF(did < 0, PE_ERR_IO, "%s: cannot open dataset %s", file, path);
  pe_status st = PE_OK;
  hid_t space = H5Dget_space(did), ftype = H5Dget_type(did);
  int rank = H5Sget_simple_extent_ndims(space);
  hsize_t dims[2] = {0, 0};
  pe_dtype have;
  if (rank != 1) {
    st = pe__fail(PE_ERR_DATA, "%s: %s has %d dimensions, expected a 1-D column", file, path, rank);
  } else if (classify(ftype, &have) != 0) {
    st = pe__fail(PE_ERR_DATA, "%s: %s has an unsupported dtype, expected %s", file, path,
                  pe_dtype_name(want));
  } else if (!compatible(have, want)) {
    st = pe__fail(PE_ERR_DATA, "%s: %s has dtype %s, expected %s", file, path, pe_dtype_name(have),
                  pe_dtype_name(want));
  } else {
    H5Sget_simple_extent_dims(space, dims, NULL);
    col->rows = (int64_t)dims[0];
    pe_h5_chunk_layout_of(did, pe_dtype_native(want), &col->layout);
  }
  H5Sclose(space);
  H5Tclose(ftype);
  if (st != PE_OK) {
    H5Dclose(did);
    return st;
  }
  col->did = did;
  return PE_OK;
}

pe_status pe_h5_column_read(const pe_h5_column *col, int64_t offset, int64_t count, void *buf) {
  if (count == 0) return PE_OK;
  PE_FAIL_IF(offset < 0 || count < 0 || offset + count > col->rows, PE_ERR_INTERNAL,
             "%s: %s: read of rows [%lld, %lld) outside [0, %lld)", col->file, col->path,
             (long long)offset, (long long)(offset + count), (long long)col->rows);
  if (col->layout.usable)
    return pe_h5_chunks_read(col->did, &col->layout, offset, count, buf, col->file, col->path);
  hsize_t start = (hsize_t)offset, n = (hsize_t)count;
  hid_t fspace = H5Dget_space(col->did);
  hid_t mspace = H5Screate_simple(1, &n, NULL);
  herr_t rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &n, NULL);
  if (rc >= 0) rc = H5Dread(col->did, pe_dtype_native(col->type), mspace, fspace, H5P_DEFAULT, buf);
  H5Sclose(mspace);
  H5Sclose(fspace);
  PE_FAIL_IF(rc < 0, PE_ERR_IO, "%s: %s: read of rows [%lld, %lld) failed (corrupt file?)",
             col->file, col->path, (long long)offset, (long long)(offset + count));
  return PE_OK;
}

void pe_h5_column_close(pe_h5_column *col) {
  if (col->did >= 0) H5Dclose(col->did);
  col->did = H5I_INVALID_HID;
}

pe_status pe_h5_read_column_all(hid_t fid, const char *file, const char *path, pe_dtype want,
                                void **data, int64_t *rows) {
  pe_h5_column col;
  *data = NULL;
  PE_FORWARD(pe_h5_column_open(fid, file, path, want, &col));
  size_t bytes = (size_t)col.rows * pe_dtype_size(want);
  void *buf = malloc(bytes ? bytes : 1);
  pe_status st =
      buf ? pe_h5_column_read(&col, 0, col.rows, buf)
          : pe__fail(PE_ERR_NOMEM, "%s: %s: cannot allocate %zu bytes", file, path, bytes);
  pe_h5_column_close(&col);
  if (st != PE_OK) {
    free(buf);
    return st;
  }
  *data = buf;
  *rows = col.rows;
  return PE_OK;
}

pe_status pe_h5_table_open(hid_t fid, const char *file, const char *group,
                           const pe_column_spec *spec, int ncols, pe_h5_table *table) {
  memset(table, 0, sizeof *table);
  PE_FAIL_IF(ncols > 16, PE_ERR_INTERNAL, "too many columns");
  table->ncols = ncols;
  for (int i = 0; i < ncols; i++) table->cols[i].did = H5I_INVALID_HID;
  PE_FAIL_IF(!pe_h5_exists(fid, group), PE_ERR_DATA, "%s: group %s is missing", file, group);
  const char *first = NULL;
  pe_status st = PE_OK;
  for (int i = 0; i < ncols && st == PE_OK; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", group, spec[i].name);
    if (!spec[i].required && !pe_h5_exists(fid, path)) continue;
    st = pe_h5_column_open(fid, file, path, spec[i].type, &table->cols[i]);
    if (st != PE_OK) break;
    table->present[i] = 1;
    if (!first) {
      first = spec[i].name;
      table->rows = table->cols[i].rows;
    } else if (table->cols[i].rows != table->rows) {
      st = pe__fail(PE_ERR_DATA,
                    "%s: %s has %lld rows but %s/%s has %lld (mismatched column lengths)", file,
                    path, (long long)table->cols[i].rows, group, first, (long long)table->rows);
    }
  }
  if (st != PE_OK) pe_h5_table_close(table);
  return st;
}

void pe_h5_table_close(pe_h5_table *table) {
  for (int i = 0; i < table->ncols; i++)
    if (table->present[i] || table->cols[i].did > 0) pe_h5_column_close(&table->cols[i]);
  memset(table->present, 0, sizeof table->present);
}

void pe_default_result_path(const char *input, char *buf, size_t size) {
  size_t len = strlen(input);
  const char *slash = strrchr(input, '/');
  const char *dot = strrchr(input, '.');
  if (dot && (!slash || dot > slash) && dot != input && (!slash || dot > slash + 1))
    len = (size_t)(dot - input);
  snprintf(buf, size, "%.*s.personae.h5", (int)len, input);
}
