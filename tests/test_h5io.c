/* HDF5 column I/O: round trips, table validation, atomic result files. */
#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "io/h5.h"
#include "io/h5_chunks.h"
#include "io/results_writer.h"
#include "personae.h"

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Writes a fresh file with `write` and commits it. */
static void write_file(const char *path, void (*write)(hid_t fid, const char *path)) {
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  write(pe_h5_out_file(o), path);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
}

enum { N = 100003 }; /* not a multiple of any chunk size */

static void write_all_dtypes(hid_t fid, const char *path) {
  hid_t g;
  PE_ASSERT_STATUS(pe_h5_replace_group(fid, path, "/t", &g), PE_OK);
  int64_t *i64 = malloc(N * sizeof *i64);
  double *f64 = malloc(N * sizeof *f64);
  float *f32 = malloc(N * sizeof *f32);
  int32_t *i32 = malloc(N * sizeof *i32);
  int16_t *i16 = malloc(N * sizeof *i16);
  int8_t *i8 = malloc(N);
  uint8_t *u8 = malloc(N);
  for (int i = 0; i < N; i++) {
    i64[i] = (int64_t)i * 1000003 - (1ll << 40);
    f64[i] = i * 0.25 - 7.5;
    f32[i] = (float)i / 3.0f;
    i32[i] = -i;
    i16[i] = (int16_t)(i % 30000);
    i8[i] = (int8_t)(i % 100 - 50);
    u8[i] = (uint8_t)(i % 256);
  }
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "i64", PE_I64, N, i64, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "f64", PE_F64, N, f64, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "f32", PE_F32, N, f32, 0), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "i32", PE_I32, N, i32, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "i16", PE_I16, N, i16, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "i8", PE_I8, N, i8, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "u8", PE_U8, N, u8, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "short", PE_I64, 10, i64, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "empty", PE_F64, 0, f64, 1), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_matrix(g, path, "matrix", PE_F32, N / 7, 7, f32, 1), PE_OK);
  const char *names[] = {"recency", "frequency", "café"};
  PE_ASSERT_STATUS(pe_h5_write_strings(g, path, "names", names, 3), PE_OK);
  PE_ASSERT_STATUS(pe_h5_attr_strings(g, "names", names, 3), PE_OK);
  PE_ASSERT_STATUS(pe_h5_attr_f64(g, "scale", 2.5), PE_OK);
  H5Gclose(g);
  free(i64), free(f64), free(f32), free(i32), free(i16), free(i8), free(u8);
}

static void test_round_trip_every_dtype(void) {
  char path[512];
  pe_test_path(path, sizeof path, "roundtrip.h5");
  write_file(path, write_all_dtypes);
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  pe_h5_column col;
  /* Chunked reads at awkward offsets. */
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/i64", PE_I64, &col), PE_OK);
  PE_ASSERT_EQ_LL(col.rows, N);
  int64_t buf[1000];
  PE_ASSERT_STATUS(pe_h5_column_read(&col, 77777, 1000, buf), PE_OK);
  int bad = 0;
  for (int i = 0; i < 1000; i++) bad += buf[i] != (int64_t)(77777 + i) * 1000003 - (1ll << 40);
  PE_ASSERT_EQ_LL(bad, 0);
  PE_ASSERT_STATUS(pe_h5_column_read(&col, N - 5, 10, buf), PE_ERR_INTERNAL);
  pe_h5_column_close(&col);

  void *data;
  int64_t rows;
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/f64", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_NEAR(((double *)data)[N - 1], (N - 1) * 0.25 - 7.5, 0);
  free(data);
  /* Narrower stored types widen on read; the reverse is refused. */
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/i16", PE_I64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(((int64_t *)data)[29999 + 2], 1);
  free(data);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/u8", PE_I32, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(((int32_t *)data)[255], 255);
  free(data);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/f32", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_NEAR(((double *)data)[3], 1.0, 1e-7);
  free(data);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/i8", PE_I8, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(((int8_t *)data)[0], -50);
  free(data);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/empty", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, 0);
  free(data);
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/f64", PE_I64, &col), PE_ERR_DATA);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "float64"));
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "/t/f64"));
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/i64", PE_I32, &col), PE_ERR_DATA);
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/f64", PE_F32, &col), PE_ERR_DATA);
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/matrix", PE_F32, &col), PE_ERR_DATA);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "dimensions"));
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t/nope", PE_F32, &col), PE_ERR_DATA);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "missing"));
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/t", PE_F32, &col), PE_ERR_DATA);
  double scale;
  PE_ASSERT_STATUS(pe_h5_attr_read_f64(fid, path, "/t", "scale", &scale), PE_OK);
  PE_ASSERT_NEAR(scale, 2.5, 0);
  PE_ASSERT_STATUS(pe_h5_attr_read_f64(fid, path, "/t", "nothing", &scale), PE_ERR_DATA);
  H5Fclose(fid);
}

static void test_table_validation(void) {
  char path[512];
  pe_test_path(path, sizeof path, "roundtrip.h5");
  if (!file_exists(path)) write_file(path, write_all_dtypes);
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  pe_h5_table t;
  const pe_column_spec ok[] = {{"i64", PE_I64, 1}, {"f64", PE_F64, 1}, {"absent", PE_F32, 0}};
  PE_ASSERT_STATUS(pe_h5_table_open(fid, path, "/t", ok, 3, &t), PE_OK);
  PE_ASSERT_EQ_LL(t.rows, N);
  CU_ASSERT(t.present[0] && t.present[1] && !t.present[2]);
  pe_h5_table_close(&t);
  const pe_column_spec mismatched[] = {{"i64", PE_I64, 1}, {"short", PE_I64, 1}};
  PE_ASSERT_STATUS(pe_h5_table_open(fid, path, "/t", mismatched, 2, &t), PE_ERR_DATA);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "mismatched"));
  const pe_column_spec missing[] = {{"i64", PE_I64, 1}, {"absent", PE_F32, 1}};
  PE_ASSERT_STATUS(pe_h5_table_open(fid, path, "/t", missing, 2, &t), PE_ERR_DATA);
  PE_ASSERT_STATUS(pe_h5_table_open(fid, path, "/nogroup", ok, 1, &t), PE_ERR_DATA);
  H5Fclose(fid);
}

static void write_group_a(hid_t fid, const char *path) {
  hid_t g;
  double v = 1.0;
  PE_ASSERT_STATUS(pe_h5_replace_group(fid, path, "/a", &g), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "x", PE_F64, 1, &v, 0), PE_OK);
  H5Gclose(g);
}

static void test_atomic_results(void) {
  char path[512], input[512];
  pe_test_path(path, sizeof path, "results.h5");
  pe_test_path(input, sizeof input, "input.h5");
  unlink(path);
  write_file(input, write_group_a);
  /* Aborting leaves nothing behind. */
  pe_h5_out *o;
  const char *inputs[] = {input, NULL};
  PE_ASSERT_STATUS(pe_h5_out_begin(path, inputs, NULL, &o), PE_OK);
  write_group_a(pe_h5_out_file(o), path);
  pe_h5_out_abort(o);
  CU_ASSERT(!file_exists(path));
  /* The input is never a valid output. */
  PE_ASSERT_STATUS(pe_h5_out_begin(input, inputs, NULL, &o), PE_ERR_USAGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "input"));
  /* A step replaces its own group and carries the others over. */
  write_file(path, write_group_a);
  const char *replaces[] = {"/b", NULL};
  PE_ASSERT_STATUS(pe_h5_out_begin(path, inputs, replaces, &o), PE_OK);
  hid_t g;
  int64_t one = 1;
  PE_ASSERT_STATUS(pe_h5_replace_group(pe_h5_out_file(o), path, "/b", &g), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "y", PE_I64, 1, &one, 0), PE_OK);
  H5Gclose(g);
  /* Until commit, the old file is intact and has no /b. */
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  CU_ASSERT(!pe_h5_exists(fid, "/b"));
  H5Fclose(fid);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  CU_ASSERT(pe_h5_exists(fid, "/a/x"));
  CU_ASSERT(pe_h5_exists(fid, "/b/y"));
  H5Fclose(fid);
  /* A file that is not HDF5 is never overwritten. */
  char text[512];
  pe_test_path(text, sizeof text, "notes.txt");
  FILE *f = fopen(text, "w");
  fputs("precious\n", f);
  fclose(f);
  PE_ASSERT_STATUS(pe_h5_out_begin(text, NULL, NULL, &o), PE_ERR_IO);
  f = fopen(text, "r");
  char line[32] = "";
  CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
  fclose(f);
  CU_ASSERT_STRING_EQUAL(line, "precious\n");
}

/* Temporary files of `path` (".NAME.tmp-*" beside it) still in its directory. */
static int temporaries_of(const char *path) {
  char dir[512], base[512], prefix[600];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  snprintf(prefix, sizeof prefix, ".%s.tmp-", basename(base));
  DIR *d = opendir(dirname(dir));
  int found = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    found += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  if (d) closedir(d);
  return found;
}

/* Starting the disk early (pe_h5_out_start_writeback), once or several
 * times between writes, changes nothing in the committed file; aborting
 * with the writeback thread running leaves nothing behind. */
static void test_early_writeback(void) {
  char path[512];
  pe_test_path(path, sizeof path, "writeback.h5");
  unlink(path);
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  write_group_a(pe_h5_out_file(o), path);
  pe_h5_out_start_writeback(o);
  pe_h5_out_start_writeback(o);
  write_all_dtypes(pe_h5_out_file(o), path);
  pe_h5_out_start_writeback(o);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
  CU_ASSERT_EQUAL(temporaries_of(path), 0);
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  CU_ASSERT(pe_h5_exists(fid, "/a/x"));
  void *data = NULL;
  int64_t rows = 0;
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/t/i64", PE_I64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, N);
  int bad = 0;
  for (int64_t i = 0; data && i < rows; i++)
    bad += ((const int64_t *)data)[i] != i * 1000003 - (1ll << 40);
  PE_ASSERT_EQ_LL(bad, 0);
  free(data);
  H5Fclose(fid);
  /* An abort while the thread runs: the committed file stays as it was. */
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  write_all_dtypes(pe_h5_out_file(o), path);
  pe_h5_out_start_writeback(o);
  pe_h5_out_abort(o);
  CU_ASSERT_EQUAL(temporaries_of(path), 0);
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  CU_ASSERT(pe_h5_exists(fid, "/a/x"));
  H5Fclose(fid);
}

static void test_appender(void) {
  char path[512];
  pe_test_path(path, sizeof path, "append.h5");
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  pe_h5_appender app;
  PE_ASSERT_STATUS(pe_h5_appender_create(pe_h5_out_file(o), path, "v", PE_I32, 1000, 1, &app),
                   PE_OK);
  int32_t chunk[777];
  int32_t next = 0;
  for (int rep = 0; rep < 10; rep++) {
    for (int i = 0; i < 777; i++) chunk[i] = next++;
    PE_ASSERT_STATUS(pe_h5_appender_append(&app, chunk, 777 - rep), PE_OK);
    next -= rep;
  }
  PE_ASSERT_STATUS(pe_h5_appender_flush(&app), PE_OK);
  pe_h5_appender_close(&app);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
  hid_t fid;
  void *data;
  int64_t rows;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/v", PE_I32, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, next);
  int bad = 0;
  for (int64_t i = 0; i < rows; i++) bad += ((int32_t *)data)[i] != i;
  PE_ASSERT_EQ_LL(bad, 0);
  free(data);
  H5Fclose(fid);
}

/* Reads a whole 1-D column through HDF5's own filter pipeline. */
static void *read_with_hdf5(hid_t fid, const char *path, hid_t memtype, size_t size) {
  hid_t did = H5Dopen2(fid, path, H5P_DEFAULT);
  void *buf = malloc(size);
  herr_t rc = H5Dread(did, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Dclose(did);
  CU_ASSERT(rc >= 0);
  return buf;
}

static void test_parallel_chunk_codec_matches_hdf5(void) {
  /* Compressible and incompressible columns (the latter makes the codec skip
   * deflate for a chunk, as HDF5 does), several chunks plus a partial one. */
  enum { ROWS = 3 * 131072 + 4321 };
  char path[512];
  pe_test_path(path, sizeof path, "codec.h5");
  double *noise = malloc(ROWS * sizeof *noise);
  int64_t *ids = malloc(ROWS * sizeof *ids);
  uint64_t state = 12345;
  for (int i = 0; i < ROWS; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    memcpy(&noise[i], &state, sizeof state);
    if (!(noise[i] == noise[i])) noise[i] = 0.5; /* keep NaN payloads out of the comparison */
    ids[i] = i / 3;
  }
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  pe_h5_appender a, b, u;
  PE_ASSERT_STATUS(pe_h5_appender_create(pe_h5_out_file(o), path, "noise", PE_F64, 0, 1, &a),
                   PE_OK);
  PE_ASSERT_STATUS(pe_h5_appender_create(pe_h5_out_file(o), path, "ids", PE_I64, 0, 1, &b), PE_OK);
  /* Chunked without filters: whole chunks are read straight into place. */
  PE_ASSERT_STATUS(pe_h5_appender_create(pe_h5_out_file(o), path, "raw", PE_I64, 0, 0, &u), PE_OK);
  for (int off = 0; off < ROWS; off += 50000) {
    int n = ROWS - off < 50000 ? ROWS - off : 50000;
    PE_ASSERT_STATUS(pe_h5_appender_append(&a, noise + off, n), PE_OK);
    PE_ASSERT_STATUS(pe_h5_appender_append(&b, ids + off, n), PE_OK);
    PE_ASSERT_STATUS(pe_h5_appender_append(&u, ids + off, n), PE_OK);
  }
  PE_ASSERT_STATUS(pe_h5_appender_flush(&a), PE_OK);
  PE_ASSERT_STATUS(pe_h5_appender_flush(&b), PE_OK);
  PE_ASSERT_STATUS(pe_h5_appender_flush(&u), PE_OK);
  pe_h5_appender_close(&a);
  pe_h5_appender_close(&b);
  pe_h5_appender_close(&u);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);

  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  double *n1 = read_with_hdf5(fid, "/noise", H5T_NATIVE_DOUBLE, ROWS * sizeof(double));
  int64_t *i1 = read_with_hdf5(fid, "/ids", H5T_NATIVE_INT64, ROWS * sizeof(int64_t));
  CU_ASSERT(memcmp(n1, noise, ROWS * sizeof(double)) == 0);
  CU_ASSERT(memcmp(i1, ids, ROWS * sizeof(int64_t)) == 0);
  pe_h5_column col;
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/ids", PE_I64, &col), PE_OK);
  CU_ASSERT(col.layout.usable);
  PE_ASSERT_EQ_LL(col.rows, ROWS);
  int64_t *part = malloc(ROWS * sizeof *part);
  /* Unaligned ranges that start and end inside chunks. */
  PE_ASSERT_STATUS(pe_h5_column_read(&col, 131000, 200000, part), PE_OK);
  CU_ASSERT(memcmp(part, ids + 131000, 200000 * sizeof(int64_t)) == 0);
  PE_ASSERT_STATUS(pe_h5_column_read(&col, ROWS - 10, 10, part), PE_OK);
  CU_ASSERT(memcmp(part, ids + ROWS - 10, 10 * sizeof(int64_t)) == 0);
  pe_h5_column_close(&col);
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/noise", PE_F64, &col), PE_OK);
  PE_ASSERT_STATUS(pe_h5_column_read(&col, 0, ROWS, part), PE_OK);
  CU_ASSERT(memcmp(part, noise, ROWS * sizeof(double)) == 0);
  pe_h5_column_close(&col);
  PE_ASSERT_STATUS(pe_h5_column_open(fid, path, "/raw", PE_I64, &col), PE_OK);
  CU_ASSERT(col.layout.usable && !col.layout.deflate && !col.layout.shuffle);
  const int64_t ranges[][2] = {{0, ROWS}, {131000, 200000}, {131072, 131072}, {ROWS - 10, 10}};
  for (int r = 0; r < 4; r++) {
    memset(part, 0xA5, ROWS * sizeof *part);
    PE_ASSERT_STATUS(pe_h5_column_read(&col, ranges[r][0], ranges[r][1], part), PE_OK);
    CU_ASSERT(memcmp(part, ids + ranges[r][0], (size_t)ranges[r][1] * sizeof(int64_t)) == 0);
  }
  pe_h5_column_close(&col);
  H5Fclose(fid);
  free(noise), free(ids), free(n1), free(i1), free(part);
}

/* Reads a whole file into memory (for byte comparisons). */
static unsigned char *slurp(const char *path, long *size) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  *size = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)*size);
  if (buf && fread(buf, 1, (size_t)*size, fp) != (size_t)*size) {
    free(buf);
    buf = NULL;
  }
  fclose(fp);
  return buf;
}

/* Enough rows that the compressed chunks (14 of /flags, 9 of /ids) outrun
 * the writer's ring of 4 per thread, so that slots are reused. */
enum { MANY_ROWS = 8 * 131072 + 777, MANY_COLS = 13 };

static void write_many_datasets(const char *path, const double *noise, const int64_t *ids,
                                const uint8_t *flags, const float *matrix) {
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  const pe_h5_dataset_spec specs[] = {
      {"noise", PE_F64, MANY_ROWS, 0, noise, 1, 0},
      {"ids", PE_I64, MANY_ROWS, 0, ids, 1, 0},
      {"flags", PE_U8, MANY_ROWS, MANY_COLS, flags, 1, 0}, /* 2-D, compressed, partial last chunk */
      {"matrix", PE_F32, MANY_ROWS, MANY_COLS, matrix, 0, 0},
      {"short", PE_I64, 5, 0, ids, 1, 0},
      {"empty", PE_F64, 0, 0, noise, 1, 0},
  };
  PE_ASSERT_STATUS(pe_h5_write_many(pe_h5_out_file(o), path, specs, 6), PE_OK);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
}

static void test_write_many_matches_hdf5(void) {
  char path[512], path1[512];
  pe_test_path(path, sizeof path, "many.h5");
  pe_test_path(path1, sizeof path1, "many1.h5");
  double *noise = malloc(MANY_ROWS * sizeof *noise);
  int64_t *ids = malloc(MANY_ROWS * sizeof *ids);
  uint8_t *flags = malloc((size_t)MANY_ROWS * MANY_COLS);
  float *matrix = malloc((size_t)MANY_ROWS * MANY_COLS * sizeof *matrix);
  uint64_t state = 99;
  for (int i = 0; i < MANY_ROWS; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    memcpy(&noise[i], &state, sizeof state);
    if (!(noise[i] == noise[i])) noise[i] = 0.25;
    ids[i] = 1000 + i / 2;
    for (int j = 0; j < MANY_COLS; j++) {
      flags[(size_t)i * MANY_COLS + j] = (uint8_t)((i * 7 + j) % 5 == 0);
      matrix[(size_t)i * MANY_COLS + j] = (float)(i % 1000) * 0.5f - (float)j;
    }
  }
  write_many_datasets(path, noise, ids, flags, matrix);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  write_many_datasets(path1, noise, ids, flags, matrix);
  /* More threads than this machine's cores: the waits yield. */
  char path3[512];
  pe_test_path(path3, sizeof path3, "many3.h5");
  omp_set_num_threads(3);
  write_many_datasets(path3, noise, ids, flags, matrix);
  omp_set_num_threads(threads);

  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  double *n1 = read_with_hdf5(fid, "/noise", H5T_NATIVE_DOUBLE, MANY_ROWS * sizeof(double));
  int64_t *i1 = read_with_hdf5(fid, "/ids", H5T_NATIVE_INT64, MANY_ROWS * sizeof(int64_t));
  uint8_t *f1 = read_with_hdf5(fid, "/flags", H5T_NATIVE_UINT8, (size_t)MANY_ROWS * MANY_COLS);
  float *m1 = read_with_hdf5(fid, "/matrix", H5T_NATIVE_FLOAT,
                             (size_t)MANY_ROWS * MANY_COLS * sizeof(float));
  int64_t *s1 = read_with_hdf5(fid, "/short", H5T_NATIVE_INT64, 5 * sizeof(int64_t));
  CU_ASSERT(memcmp(n1, noise, MANY_ROWS * sizeof(double)) == 0);
  CU_ASSERT(memcmp(i1, ids, MANY_ROWS * sizeof(int64_t)) == 0);
  CU_ASSERT(memcmp(f1, flags, (size_t)MANY_ROWS * MANY_COLS) == 0);
  CU_ASSERT(memcmp(m1, matrix, (size_t)MANY_ROWS * MANY_COLS * sizeof(float)) == 0);
  CU_ASSERT(memcmp(s1, ids, 5 * sizeof(int64_t)) == 0);
  /* The 2-D flags and the ids really are stored compressed (shuffle +
   * deflate); the noise, asked to be compressed too, is stored as it is,
   * since deflate cannot shrink random bits (pe_h5_deflate_pays). */
  const struct {
    const char *name;
    int filters;
    hsize_t at_most;
  } stored[] = {{"/flags", 2, (hsize_t)MANY_ROWS * MANY_COLS / 4},
                {"/ids", 2, (hsize_t)MANY_ROWS * 8 / 4},
                {"/noise", 0, (hsize_t)MANY_ROWS * 8 + (1u << 20)}}; /* + a padded last chunk */
  for (int k = 0; k < 3; k++) {
    hid_t did = H5Dopen2(fid, stored[k].name, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(did);
    PE_ASSERT_EQ_LL(H5Pget_nfilters(dcpl), stored[k].filters);
    CU_ASSERT(H5Dget_storage_size(did) <= stored[k].at_most);
    H5Pclose(dcpl);
    H5Dclose(did);
  }
  void *data;
  int64_t rows;
  /* The unfiltered /noise through personae's own reader too. */
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/noise", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, MANY_ROWS);
  CU_ASSERT(data && memcmp(data, noise, MANY_ROWS * sizeof(double)) == 0);
  free(data);
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/empty", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, 0);
  free(data);
  H5Fclose(fid);
  /* Same bytes whatever the thread count. */
  long size0 = 0, size1 = -1;
  unsigned char *b0 = slurp(path, &size0), *b1 = slurp(path1, &size1);
  CU_ASSERT_PTR_NOT_NULL(b0);
  CU_ASSERT_PTR_NOT_NULL(b1);
  CU_ASSERT(b0 && b1 && size0 == size1 && memcmp(b0, b1, (size_t)size0) == 0);
  long size3 = -1;
  unsigned char *b3 = slurp(path3, &size3);
  CU_ASSERT(b0 && b3 && size0 == size3 && memcmp(b0, b3, (size_t)size0) == 0);
  free(b0), free(b1), free(b3);
  free(noise), free(ids), free(flags), free(matrix), free(n1), free(i1), free(f1), free(m1),
      free(s1);
}

/* Whether deflate pays: random bits, a 1.6x column and timestamps (2.6x)
 * do not, repetitive or smooth ones do, small ones always; the answer
 * depends on the data only. */
static void test_deflate_pays(void) {
  enum { COUNT = 100000 };
  double *money = malloc(COUNT * sizeof *money);
  int64_t *ids = malloc(COUNT * sizeof *ids), *times = malloc(COUNT * sizeof *times);
  uint64_t bits = 5;
  for (int i = 0; i < COUNT; i++) {
    bits = bits * 6364136223846793005ull + 1442695040888963407ull;
    /* Cents between 0 and 1000, as a money column holds. */
    money[i] = (double)(bits >> 40 & 0x1ffff) / 100.0 + 0.01;
    ids[i] = 1000000 + 3 * (int64_t)i;
    /* Unix seconds over two years, in no order (customers' last purchases). */
    times[i] = 1600000000 + (int64_t)((bits >> 20) % (2 * 365 * 86400));
  }
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(money, COUNT, sizeof *money), 0);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(times, COUNT, sizeof *times), 0);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(ids, COUNT, sizeof *ids), 1);
  /* Up to the sample's size (64 KiB) everything is compressed; just above
   * it the sample decides. */
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(money, 8192, sizeof *money), 1);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(money, 8193, sizeof *money), 0);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(ids, 8193, sizeof *ids), 1);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(money, 1000, sizeof *money), 1);
  PE_ASSERT_EQ_LL(pe_h5_deflate_pays(money, 0, sizeof *money), 1);
  free(money);
  free(ids);
  free(times);
}

static void test_open_errors(void) {
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read("/nonexistent/dir/x.h5", &fid), PE_ERR_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "/nonexistent/dir/x.h5"));
  char text[512];
  pe_test_path(text, sizeof text, "plain.txt");
  FILE *f = fopen(text, "w");
  fputs("a,b\n", f);
  fclose(f);
  PE_ASSERT_STATUS(pe_h5_open_read(text, &fid), PE_ERR_DATA);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "not an HDF5 file"));
  PE_ASSERT_STATUS(pe_h5_open_read(pe_test_tmpdir(), &fid), PE_ERR_IO);
}

static void test_default_result_path(void) {
  char buf[256];
  pe_default_result_path("shop.h5", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "shop.personae.h5");
  pe_default_result_path("data/v1.2/shop", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "data/v1.2/shop.personae.h5");
  pe_default_result_path("/tmp/.hidden", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "/tmp/.hidden.personae.h5");
}

/* Two groups in one update through the public writer: both appear at commit,
 * the groups not named are carried over, an abort changes nothing, and a
 * compressed column written through the parallel codec reads back. */
static void test_results_writer(void) {
  char path[512];
  pe_test_path(path, sizeof path, "writer.h5");
  unlink(path);
  write_file(path, write_group_a);
  enum { ROWS = 300001 };
  int32_t *v = malloc(ROWS * sizeof *v);
  for (int i = 0; i < ROWS; i++) v[i] = i % 977 - 400;
  const char *groups[] = {"/b", "/c", NULL};
  for (int commit = 0; commit <= 1; commit++) {
    pe_results_writer *w = NULL;
    PE_ASSERT_STATUS(pe_results_begin(path, NULL, groups, &w), PE_OK);
    if (!w) break;
    CU_ASSERT_STRING_EQUAL(pe_results_path(w), path);
    for (int k = 0; k < 2; k++) {
      hid_t g;
      PE_ASSERT_STATUS(pe_h5_replace_group(pe__results_file(w), path, k ? "/c" : "/b", &g), PE_OK);
      PE_ASSERT_STATUS(pe_h5_write_column(g, path, "v", PE_I32, ROWS, v, 1), PE_OK);
      H5Gclose(g);
    }
    if (commit)
      PE_ASSERT_STATUS(pe_results_commit(w), PE_OK);
    else
      pe_results_abort(w);
    hid_t fid;
    PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
    CU_ASSERT(pe_h5_exists(fid, "/a/x"));
    CU_ASSERT_EQUAL(pe_h5_exists(fid, "/b/v"), commit);
    CU_ASSERT_EQUAL(pe_h5_exists(fid, "/c/v"), commit);
    if (commit) {
      void *back = NULL;
      int64_t rows = 0;
      PE_ASSERT_STATUS(pe_h5_read_column_all(fid, path, "/c/v", PE_I32, &back, &rows), PE_OK);
      PE_ASSERT_EQ_LL(rows, ROWS);
      CU_ASSERT(back && memcmp(back, v, ROWS * sizeof *v) == 0);
      free(back);
    }
    H5Fclose(fid);
  }
  /* A failed write into the update makes the commit refuse: the file keeps
   * /b and /c as committed above. */
  pe_results_writer *w = NULL;
  PE_ASSERT_STATUS(pe_results_begin(path, NULL, groups, &w), PE_OK);
  if (w) {
    hid_t g;
    PE_ASSERT_STATUS(pe_h5_replace_group(pe__results_file(w), path, "/b", &g), PE_OK);
    H5Gclose(g);
    PE_ASSERT_STATUS(pe__results_note(w, PE_ERR_IO), PE_ERR_IO);
    PE_ASSERT_STATUS(pe_results_commit(w), PE_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "not updated"));
    hid_t fid;
    PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
    CU_ASSERT(pe_h5_exists(fid, "/b/v") && pe_h5_exists(fid, "/c/v"));
    H5Fclose(fid);
  }
  free(v);
}

/* Writes the datasets of test_write_later into a new file at `path`;
 * `abort_it` discards it instead of committing. */
enum { LATER_ROWS = 300000, LATER_COLS = 7 };
static void write_later_file(const char *path, const double *noise, const float *matrix,
                             const double *small, int abort_it) {
  pe_h5_out *o;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  const pe_h5_dataset_spec specs[] = {
      /* Asked to be compressed, but random: stored as it is, later. */
      {"noise", PE_F64, LATER_ROWS, 0, noise, 1, 1},
      /* Page-aligned in memory: straight from it, by direct I/O. */
      {"matrix", PE_F32, LATER_ROWS, LATER_COLS, matrix, 0, 1},
      /* Not page-aligned: through the writer's aligned buffer. */
      {"shifted", PE_F32, LATER_ROWS - 3, LATER_COLS, matrix + 3, 0, 1},
      /* Below PE_H5_LATER_MIN, or not lasting: written now, chunked. */
      {"small", PE_F64, 1000, 0, small, 0, 1},
      {"not_lasting", PE_F32, LATER_ROWS, LATER_COLS, matrix, 0, 0},
  };
  PE_ASSERT_STATUS(pe_h5_write_many_to(o, pe_h5_out_file(o), path, specs, 5), PE_OK);
  if (abort_it)
    pe_h5_out_abort(o);
  else
    PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
}

static int layout_of_dataset(hid_t fid, const char *name) {
  hid_t did = H5Dopen2(fid, name, H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(did);
  const int layout = (int)H5Pget_layout(dcpl);
  H5Pclose(dcpl);
  H5Dclose(did);
  return layout;
}

/* Large datasets stored as they are, handed to the output's writer thread:
 * stored contiguous, read back exactly through HDF5 and through personae's
 * own reader, and the file's bytes the same whether the thread writes by
 * direct I/O or through the page cache, and whatever the thread count. An
 * abort leaves nothing. */
static void test_write_later(void) {
  double *noise = malloc(LATER_ROWS * sizeof *noise), small[1000];
  float *matrix = NULL;
  CU_ASSERT_FATAL(posix_memalign((void **)&matrix, PE_H5_PAGE,
                                 (size_t)LATER_ROWS * LATER_COLS * sizeof *matrix) == 0);
  uint64_t state = 7;
  for (int i = 0; i < LATER_ROWS; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    noise[i] = (double)(state >> 11) * 0x1.0p-53 - 0.5;
    for (int j = 0; j < LATER_COLS; j++)
      matrix[(size_t)i * LATER_COLS + j] = (float)(i % 977) * 0.25f + (float)j;
  }
  for (int i = 0; i < 1000; i++) small[i] = i * 0.5;
  char paths[4][512];
  const char *names[4] = {"later.h5", "later_buffered.h5", "later_1thread.h5", "later_abort.h5"};
  for (int k = 0; k < 4; k++) pe_test_path(paths[k], sizeof paths[k], names[k]);
  write_later_file(paths[0], noise, matrix, small, 0);
  setenv("PERSONAE_NO_DIRECT_IO", "1", 1);
  write_later_file(paths[1], noise, matrix, small, 0);
  unsetenv("PERSONAE_NO_DIRECT_IO");
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  write_later_file(paths[2], noise, matrix, small, 0);
  omp_set_num_threads(threads);
  write_later_file(paths[3], noise, matrix, small, 1);
  CU_ASSERT(access(paths[3], F_OK) != 0);

  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(paths[0], &fid), PE_OK);
  const size_t mbytes = (size_t)LATER_ROWS * LATER_COLS * sizeof(float);
  double *n1 = read_with_hdf5(fid, "/noise", H5T_NATIVE_DOUBLE, LATER_ROWS * sizeof(double));
  float *m1 = read_with_hdf5(fid, "/matrix", H5T_NATIVE_FLOAT, mbytes);
  const size_t sbytes = mbytes - 3 * LATER_COLS * sizeof(float);
  float *s1 = read_with_hdf5(fid, "/shifted", H5T_NATIVE_FLOAT, sbytes);
  float *l1 = read_with_hdf5(fid, "/not_lasting", H5T_NATIVE_FLOAT, mbytes);
  CU_ASSERT(n1 && memcmp(n1, noise, LATER_ROWS * sizeof(double)) == 0);
  CU_ASSERT(m1 && memcmp(m1, matrix, mbytes) == 0);
  CU_ASSERT(s1 && memcmp(s1, matrix + 3, sbytes) == 0);
  CU_ASSERT(l1 && memcmp(l1, matrix, mbytes) == 0);
  PE_ASSERT_EQ_LL(layout_of_dataset(fid, "/noise"), H5D_CONTIGUOUS);
  PE_ASSERT_EQ_LL(layout_of_dataset(fid, "/matrix"), H5D_CONTIGUOUS);
  PE_ASSERT_EQ_LL(layout_of_dataset(fid, "/shifted"), H5D_CONTIGUOUS);
  PE_ASSERT_EQ_LL(layout_of_dataset(fid, "/small"), H5D_CHUNKED);
  PE_ASSERT_EQ_LL(layout_of_dataset(fid, "/not_lasting"), H5D_CHUNKED);
  void *data;
  int64_t rows;
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, paths[0], "/noise", PE_F64, &data, &rows), PE_OK);
  PE_ASSERT_EQ_LL(rows, LATER_ROWS);
  CU_ASSERT(data && memcmp(data, noise, LATER_ROWS * sizeof(double)) == 0);
  free(data);
  H5Fclose(fid);
  long size0 = 0;
  unsigned char *b0 = slurp(paths[0], &size0);
  for (int k = 1; k <= 2; k++) {
    long size = -1;
    unsigned char *b = slurp(paths[k], &size);
    CU_ASSERT(b0 && b && size == size0 && memcmp(b0, b, (size_t)size0) == 0);
    free(b);
  }
  free(b0), free(n1), free(m1), free(s1), free(l1), free(noise), free(matrix);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"results writer: several groups, one update", test_results_writer},
      {"round trip of every dtype", test_round_trip_every_dtype},
      {"table validation", test_table_validation},
      {"atomic result files", test_atomic_results},
      {"early writeback: the same file, nothing left on abort", test_early_writeback},
      {"streaming appender", test_appender},
      {"parallel chunk codec matches HDF5", test_parallel_chunk_codec_matches_hdf5},
      {"several datasets written together match HDF5", test_write_many_matches_hdf5},
      {"deflate only where it at least thirds the bytes", test_deflate_pays},
      {"large datasets written later, by the writer thread", test_write_later},
      {"open errors", test_open_errors},
      {"default result path", test_default_result_path},
      CU_TEST_INFO_NULL};
  static const pe_test_suite suites[] = {{"h5io", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
