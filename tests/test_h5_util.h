/* Shared by the tests that write small input files: a list of columns,
 * each in its group, written atomically with the h5 helpers.
 * Header-only so each test program stays one source file. */
#ifndef PE_TESTS_TEST_H5_UTIL_H
#define PE_TESTS_TEST_H5_UTIL_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "io/h5.h"

/* One column: /group/name with `rows` values of `type`. */
typedef struct {
  const char *group; /* without the slash: "transactions" */
  const char *name;
  pe_dtype type;
  int64_t rows;
  const void *data;
  int compress;
} th5_column;

/* Writes the columns as a fresh file; the columns of a group are
 * consecutive. Returns 0 on success. */
static inline int th5_write(const char *path, const th5_column *cols, int ncols) {
  pe_h5_out *out;
  if (pe_h5_out_begin(path, NULL, NULL, &out) != PE_OK) return -1;
  hid_t fid = pe_h5_out_file(out), g = H5I_INVALID_HID;
  const char *group = NULL;
  int ok = 1;
  for (int i = 0; ok && i < ncols; i++) {
    if (!group || strcmp(group, cols[i].group) != 0) {
      if (g >= 0) H5Gclose(g);
      g = H5I_INVALID_HID;
      char full[64];
      snprintf(full, sizeof full, "/%s", cols[i].group);
      group = cols[i].group;
      ok = pe_h5_replace_group(fid, path, full, &g) == PE_OK;
      if (!ok) break;
    }
    ok = pe_h5_write_column(g, path, cols[i].name, cols[i].type, cols[i].rows, cols[i].data,
                            cols[i].compress) == PE_OK;
  }
  if (g >= 0) H5Gclose(g);
  if (!ok) {
    pe_h5_out_abort(out);
    return -1;
  }
  return pe_h5_out_commit(out) == PE_OK ? 0 : -1;
}

#endif
