/* HDF5 access for the engine: columnar tables of 1-D datasets, reading by
 * hyperslabs, chunked+compressed writing, and atomic result files.
 *
 * Every function reports problems through pe__fail() with a message that
 * names the file, the dataset and the problem. The HDF5 library's own error
 * stack printing is switched off by pe_h5_init(). */
#ifndef PE_IO_H5_H
#define PE_IO_H5_H

#include <hdf5.h>
#include <stdint.h>

#include "io/h5_chunks.h"
#include "personae/status.h"

typedef enum { PE_I8, PE_U8, PE_I16, PE_I32, PE_I64, PE_F32, PE_F64, PE_DTYPE_COUNT } pe_dtype;

/* Size in bytes, a name for messages ("int64"), and the HDF5 native type. */
size_t pe_dtype_size(pe_dtype t);
const char *pe_dtype_name(pe_dtype t);
hid_t pe_dtype_native(pe_dtype t);

/* Silences HDF5's automatic error printing (idempotent, thread-safe enough:
 * call it before starting threads). */
void pe_h5_init(void);

/* Opens an existing file read-only. Missing file, unreadable file and "not an
 * HDF5 file" are distinguished in the message (PE_ERR_IO / PE_ERR_DATA). */
pe_status pe_h5_open_read(const char *path, hid_t *fid);

/* True if `path` (e.g. "/sessions" or "/sessions/pageviews") exists. */
int pe_h5_exists(hid_t fid, const char *path);

/* A 1-D column opened for reading. `file` and `path` are kept for messages. */
typedef struct {
  hid_t did;
  pe_dtype type;
  int64_t rows;
  const char *file;
  char path[256];
  pe_h5_chunk_layout layout; /* direct parallel chunk path, when usable */
} pe_h5_column;

/* Opens `path` and checks that it is 1-D with a type compatible with `want`:
 * integers of the same signedness no wider than `want`, or floats no wider
 * than `want` (HDF5 converts on read). Anything else is PE_ERR_DATA
 * "FILE: /path: has dtype float64, expected int64". */
pe_status pe_h5_column_open(hid_t fid, const char *file, const char *path, pe_dtype want,
                            pe_h5_column *col);
/* Reads rows [offset, offset + count) converted to the column's wanted type. */
pe_status pe_h5_column_read(const pe_h5_column *col, int64_t offset, int64_t count, void *buf);
void pe_h5_column_close(pe_h5_column *col);

/* Reads a whole column into a new malloc'd buffer (the caller frees). Only
 * for per-customer sized data; raw tables are streamed with column_read. */
pe_status pe_h5_read_column_all(hid_t fid, const char *file, const char *path, pe_dtype want,
                                void **data, int64_t *rows);

/* A table is a group of equally long columns. */
typedef struct {
  const char *name;
  pe_dtype type;
  int required; /* 0: optional, `present` tells */
} pe_column_spec;

typedef struct {
  int ncols;
  int64_t rows;
  pe_h5_column cols[16];
  int present[16];
} pe_h5_table;

/* Opens every column of `group` named in `spec` and checks that they exist
 * (when required), have compatible dtypes and the same length. An empty table
 * is allowed here; callers decide whether it is an error. */
pe_status pe_h5_table_open(hid_t fid, const char *file, const char *group,
                           const pe_column_spec *spec, int ncols, pe_h5_table *table);
void pe_h5_table_close(pe_h5_table *table);

/* ---- writing ---- */

/* A result file being written: data goes to a temporary file in the same
 * directory, which pe_h5_out_commit() renames over the final path, so an
 * interrupted or failed run never leaves a half-written result. */
typedef struct pe_h5_out pe_h5_out;

/* Starts writing `final_path`. `inputs` are the paths this run reads (NULL-
 * terminated): writing over one of them is refused. `replaces` is NULL for a
 * fresh file, or the NULL-terminated list of groups this step writes: then the
 * other top-level objects of an existing result file are carried over, so each
 * step replaces its own results and nothing else. An existing `final_path`
 * that is not an HDF5 file is never overwritten. */
pe_status pe_h5_out_begin(const char *final_path, const char *const *inputs,
                          const char *const *replaces, pe_h5_out **out);
hid_t pe_h5_out_file(const pe_h5_out *out);
const char *pe_h5_out_path(const pe_h5_out *out);
/* Has the kernel start writing to disk what is already written (the data
 * chunks, which HDF5 writes straight to the file), without waiting for it:
 * work done after this overlaps with the disk, and the commit's fsync waits
 * only for the rest. */
void pe_h5_out_start_writeback(pe_h5_out *out);
/* Datasets of at least this many bytes that are stored as they are may be
 * written later (pe_h5_write_many_to); the file places large blocks on
 * page boundaries for them. */
#define PE_H5_LATER_MIN ((size_t)2 << 20)
#define PE_H5_PAGE 4096
/* Has `out`'s writer thread write `bytes` of `data` at `offset` of the
 * temporary file (a dataset's place, allocated by HDF5 and never written
 * by it), by direct I/O where the file system allows; `data` must stay as
 * it is until the commit or abort. A failed write fails the commit with
 * `name` in its message. Without a thread the bytes are written now. */
pe_status pe_h5_out_write_later(pe_h5_out *out, int64_t offset, const void *data, size_t bytes,
                                const char *name);
/* pe_h5_replace_group within `out`'s update (out may be NULL): a group
 * that is already there may have later writes queued, which land first, so
 * that HDF5 does not hand their file space to new data under them. */
pe_status pe_h5_out_replace_group(pe_h5_out *out, hid_t fid, const char *file, const char *group,
                                  hid_t *gid);
/* Closes, flushes to disk and renames into place; frees `out`. */
pe_status pe_h5_out_commit(pe_h5_out *out);
/* Discards the temporary file; frees `out`. NULL is a no-op. */
void pe_h5_out_abort(pe_h5_out *out);

/* Removes `group` if it exists and creates it anew (a step replaces its own
 * results and nothing else). */
pe_status pe_h5_replace_group(hid_t fid, const char *file, const char *group, hid_t *gid);

/* Writes a whole column, chunked, with shuffle+deflate when `compress`. */
pe_status pe_h5_write_column(hid_t loc, const char *file, const char *name, pe_dtype type,
                             int64_t rows, const void *data, int compress);
/* Writes a 2-D row-major matrix (rows x cols). */
pe_status pe_h5_write_matrix(hid_t loc, const char *file, const char *name, pe_dtype type,
                             int64_t rows, int64_t cols, const void *data, int compress);
/* One dataset of pe_h5_write_many(): a column (cols == 0) or a row-major
 * matrix (rows x cols). */
typedef struct {
  const char *name;
  pe_dtype type;
  int64_t rows, cols;
  const void *data;
  int compress;
  /* `data` stays as it is until the output is committed or aborted, so
   * pe_h5_write_many_to may write it later. */
  int lasting;
} pe_h5_dataset_spec;
/* Writes several datasets under `loc` as pe_h5_write_column/_matrix would,
 * but compresses the chunks of all of them together, in parallel: a group of
 * many columns of one chunk or a few each is no longer compressed one
 * column, and one thread, at a time. */
pe_status pe_h5_write_many(hid_t loc, const char *file, const pe_h5_dataset_spec *specs, int n);
/* The same into `out`'s file, where the lasting datasets that are stored as
 * they are and are at least PE_H5_LATER_MIN bytes are written by its writer
 * thread (pe_h5_out_write_later) while the caller goes on. */
pe_status pe_h5_write_many_to(pe_h5_out *out, hid_t loc, const char *file,
                              const pe_h5_dataset_spec *specs, int n);
/* Writes variable-length UTF-8 strings (h5py: `ds.asstr()[...]`). */
pe_status pe_h5_write_strings(hid_t loc, const char *file, const char *name,
                              const char *const *strings, int64_t count);

/* Attributes: scalar numbers, a UTF-8 string, and an array of UTF-8 strings
 * (h5py reads these as plain `str`). */
pe_status pe_h5_attr_i64(hid_t loc, const char *name, int64_t value);
pe_status pe_h5_attr_f64(hid_t loc, const char *name, double value);
pe_status pe_h5_attr_str(hid_t loc, const char *name, const char *value);
pe_status pe_h5_attr_strings(hid_t loc, const char *name, const char *const *values, int count);
/* Reads back a numeric attribute (missing: PE_ERR_DATA). */
pe_status pe_h5_attr_read_f64(hid_t loc, const char *file, const char *obj, const char *name,
                              double *value);

/* Appends rows to a growing 1-D column (for streaming writers that do not
 * know the final length). Rows are staged in memory and written as whole
 * chunks, compressed in parallel; pe_h5_appender_flush() writes the last,
 * partial chunk and must be called (and checked) before closing. */
typedef struct {
  hid_t did;
  pe_dtype type;
  int64_t rows; /* rows appended so far */
  const char *file;
  char name[128];
  pe_h5_chunk_layout layout;
  unsigned char *stage; /* stage_chunks whole chunks */
  int64_t stage_chunks;
  int64_t staged; /* rows in stage not yet written */
  int64_t chunks_written;
} pe_h5_appender;

pe_status pe_h5_appender_create(hid_t loc, const char *file, const char *name, pe_dtype type,
                                int64_t chunk_rows, int compress, pe_h5_appender *app);
pe_status pe_h5_appender_append(pe_h5_appender *app, const void *data, int64_t count);
/* Writes what is staged and sets the final length. Idempotent. */
pe_status pe_h5_appender_flush(pe_h5_appender *app);
/* Releases the dataset (flushing first if the caller forgot to). */
void pe_h5_appender_close(pe_h5_appender *app);

/* Records in `group` which input it was computed from (attribute
 * "input_stamp": resolved path, size, inode, modification time). */
pe_status pe_h5_stamp_input(hid_t group, const char *input);
/* PE_ERR_DATA if `group` of the results file carries the stamp of another
 * input than `input` (or of an older version of it); PE_OK when the group or
 * its stamp is absent. */
pe_status pe_h5_check_stamp(hid_t fid, const char *results, const char *group, const char *input);

/* Whether two paths name the same existing file (same device and inode). */
int pe_same_file(const char *a, const char *b);

/* The default result file for an input: "shop.h5" -> "shop.personae.h5". */
void pe_default_result_path(const char *input, char *buf, size_t size);

#endif
