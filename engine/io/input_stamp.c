/* Which input a result group was computed from.
 *
 * Every step replaces only its own group of the results file, so a file
 * could otherwise mix /rfm of one input with /features of another. Each
 * per-customer group records a stamp of its input (the resolved path, size,
 * inode and modification time), and consumers compare stamps before joining
 * groups: a regenerated or different input is caught, a moved file is not. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "io/h5.h"

static int input_stamp(const char *input, char *buf, size_t size) {
  struct stat st;
  char resolved[PATH_MAX];
  if (!input || stat(input, &st) != 0 || !realpath(input, resolved)) return -1;
  snprintf(buf, size, "%s|%lld|%llu|%lld.%09ld", resolved, (long long)st.st_size,
           (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  return 0;
}

pe_status pe_h5_stamp_input(hid_t group, const char *input) {
  char stamp[PATH_MAX + 96];
  if (input_stamp(input, stamp, sizeof stamp) != 0) return PE_OK; /* nothing to record */
  return pe_h5_attr_str(group, "input_stamp", stamp);
}

/* Reads the stamp attribute of `group`, or "" when it has none. */
static void read_stamp(hid_t fid, const char *group, char *buf, size_t size) {
  buf[0] = '\0';
  if (H5Aexists_by_name(fid, group, "input_stamp", H5P_DEFAULT) <= 0) return;
  hid_t aid = H5Aopen_by_name(fid, group, "input_stamp", H5P_DEFAULT, H5P_DEFAULT);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  char *value = NULL;
  if (aid >= 0 && H5Aread(aid, type, &value) >= 0 && value) {
    snprintf(buf, size, "%s", value);
    H5free_memory(value);
  }
  H5Tclose(type);
  if (aid >= 0) H5Aclose(aid);
}

pe_status pe_h5_check_stamp(hid_t fid, const char *results, const char *group, const char *input) {
  char want[PATH_MAX + 96], have[PATH_MAX + 96];
  if (!pe_h5_exists(fid, group) || input_stamp(input, want, sizeof want) != 0) return PE_OK;
  read_stamp(fid, group, have, sizeof have);
  if (!have[0]) return PE_OK; /* written before stamps existed */
  PE_FAIL_IF(strcmp(have, want) != 0, PE_ERR_DATA,
             "%s: %s was computed from another input (or %s changed since); re-run the steps "
             "on %s",
             results, group, input, input);
  return PE_OK;
}
