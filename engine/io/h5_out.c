/* Atomic result files: write to a temporary file beside the target, then
 * fsync and rename over it. */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/h5.h"

struct pe_h5_out {
  hid_t fid;
  /* pe_h5_out_start_writeback's thread and what it is asked (under `lock`). */
  int writeback_fd; /* the temporary file; -1 until the first request */
  int writeback_running, writeback_wanted, writeback_stop;
  pthread_t writeback_thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  char final_path[4096];
  char tmp_path[4096];
};

int pe_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int is_replaced(const char *name, const char *const *replaces) {
  for (; *replaces; replaces++) {
    const char *r = (*replaces)[0] == '/' ? *replaces + 1 : *replaces;
    if (strcmp(r, name) == 0) return 1;
  }
  return 0;
}

typedef struct {
  hid_t dst;
  const char *const *replaces;
  int failed;
} copy_ctx;

static herr_t copy_one(hid_t src, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  copy_ctx *ctx = data;
  if (is_replaced(name, ctx->replaces)) return 0;
  if (H5Ocopy(src, name, ctx->dst, name, H5P_DEFAULT, H5P_DEFAULT) < 0) {
    ctx->failed = 1;
    return -1;
  }
  return 0;
}

pe_status pe_h5_out_begin(const char *final_path, const char *const *inputs,
                          const char *const *replaces, pe_h5_out **out) {
  pe_h5_init();
  *out = NULL;
  for (const char *const *in = inputs; in && *in; in++)
    PE_FAIL_IF(strcmp(*in, final_path) == 0 || pe_same_file(*in, final_path), PE_ERR_USAGE,
               "%s: refusing to write results into the input file; choose another --out",
               final_path);
  size_t len = strlen(final_path);
  PE_FAIL_IF(len == 0 || len + 32 > sizeof((pe_h5_out *)0)->final_path, PE_ERR_USAGE,
             "output path is empty or too long");
  struct stat st;
  int exists = stat(final_path, &st) == 0;
  PE_FAIL_IF(exists && S_ISDIR(st.st_mode), PE_ERR_USAGE, "%s: is a directory", final_path);
  if (exists && H5Fis_hdf5(final_path) <= 0)
    return pe__fail(PE_ERR_IO, "%s: exists and is not an HDF5 file; not overwriting it",
                    final_path);

  pe_h5_out *o = calloc(1, sizeof *o);
  PE_FAIL_IF(!o, PE_ERR_NOMEM, "out of memory");
  o->writeback_fd = -1;
  snprintf(o->final_path, sizeof o->final_path, "%s", final_path);
  char dirbuf[4096], basebuf[4096];
  snprintf(dirbuf, sizeof dirbuf, "%s", final_path);
  snprintf(basebuf, sizeof basebuf, "%s", final_path);
  snprintf(o->tmp_path, sizeof o->tmp_path, "%s/.%s.tmp-XXXXXX", dirname(dirbuf),
           basename(basebuf));
  int fd = mkstemp(o->tmp_path);
  if (fd < 0) {
    pe_status s = pe__fail(PE_ERR_IO, "%s: cannot create a temporary file in its directory: %s",
                           final_path, strerror(errno));
    free(o);
    return s;
  }
  /* mkstemp creates 0600; give the result the permissions a plain create
   * would have (0666 less the umask). */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  /* "Semi" close: closing the file fails while an object in it is still
   * open, instead of deferring the real close past the fsync and rename. */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0) H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI);
  o->fid = H5Fcreate(o->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl >= 0 ? fapl : H5P_DEFAULT);
  if (fapl >= 0) H5Pclose(fapl);
  if (o->fid < 0) {
    unlink(o->tmp_path);
    free(o);
    return pe__fail(PE_ERR_IO, "%s: cannot create HDF5 file", final_path);
  }
  if (exists && replaces) {
    hid_t src = H5Fopen(final_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    copy_ctx ctx = {o->fid, replaces, src < 0};
    if (src >= 0) {
      H5Literate(src, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_one, &ctx);
      H5Fclose(src);
    }
    if (ctx.failed) {
      pe_h5_out_abort(o);
      return pe__fail(PE_ERR_IO, "%s: cannot carry over the existing results", final_path);
    }
  }
  *out = o;
  return PE_OK;
}

hid_t pe_h5_out_file(const pe_h5_out *out) {
  return out->fid;
}
const char *pe_h5_out_path(const pe_h5_out *out) {
  return out->final_path;
}

static int fsync_path(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* The writeback thread: on each request, has the kernel write the file's
 * dirty pages. sync_file_range waits while the disk's queue is full and
 * allocates the file's blocks on the way (ext4 delays that to writeback), so
 * it runs here rather than in the thread that computes. Its errors surface
 * at the commit's fsync. */
static void *writeback_main(void *arg) {
  pe_h5_out *o = arg;
  pthread_mutex_lock(&o->lock);
  for (;;) {
    while (!o->writeback_wanted && !o->writeback_stop) pthread_cond_wait(&o->wake, &o->lock);
    if (o->writeback_stop) break;
    o->writeback_wanted = 0;
    pthread_mutex_unlock(&o->lock);
    sync_file_range(o->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    pthread_mutex_lock(&o->lock);
  }
  pthread_mutex_unlock(&o->lock);
  return NULL;
}

void pe_h5_out_start_writeback(pe_h5_out *o) {
  if (!o) return;
  if (!o->writeback_running) {
    /* Without the thread (no descriptor, no thread): the commit's fsync
     * writes everything, as it would anyway. */
    o->writeback_fd = open(o->tmp_path, O_RDONLY | O_CLOEXEC);
    if (o->writeback_fd < 0) return;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->wake, NULL);
    o->writeback_wanted = o->writeback_stop = 0;
    if (pthread_create(&o->writeback_thread, NULL, writeback_main, o) != 0) {
      pthread_cond_destroy(&o->wake);
      pthread_mutex_destroy(&o->lock);
      close(o->writeback_fd);
      o->writeback_fd = -1;
      return;
    }
    o->writeback_running = 1;
  }
  pthread_mutex_lock(&o->lock);
  o->writeback_wanted = 1;
  pthread_cond_signal(&o->wake);
  pthread_mutex_unlock(&o->lock);
}

/* Stops the writeback thread (after its current request). */
static void stop_writeback(pe_h5_out *o) {
  if (!o->writeback_running) return;
  pthread_mutex_lock(&o->lock);
  o->writeback_stop = 1;
  pthread_cond_signal(&o->wake);
  pthread_mutex_unlock(&o->lock);
  pthread_join(o->writeback_thread, NULL);
  pthread_cond_destroy(&o->wake);
  pthread_mutex_destroy(&o->lock);
  close(o->writeback_fd);
  o->writeback_fd = -1;
  o->writeback_running = 0;
}

pe_status pe_h5_out_commit(pe_h5_out *o) {
  stop_writeback(o);
  herr_t rc = H5Fclose(o->fid);
  o->fid = H5I_INVALID_HID;
  pe_status st = PE_OK;
  if (rc < 0)
    st = pe__fail(PE_ERR_IO, "%s: cannot finish writing (disk full?)", o->final_path);
  else if (fsync_path(o->tmp_path, O_RDONLY) != 0)
    st = pe__fail(PE_ERR_IO, "%s: cannot flush to disk: %s", o->final_path, strerror(errno));
  else if (rename(o->tmp_path, o->final_path) != 0)
    st = pe__fail(PE_ERR_IO, "%s: cannot rename the finished file into place: %s", o->final_path,
                  strerror(errno));
  if (st != PE_OK) {
    unlink(o->tmp_path);
  } else {
    char dirbuf[4096];
    snprintf(dirbuf, sizeof dirbuf, "%s", o->final_path);
    fsync_path(dirname(dirbuf), O_RDONLY | O_DIRECTORY);
  }
  free(o);
  return st;
}

void pe_h5_out_abort(pe_h5_out *o) {
  if (!o) return;
  stop_writeback(o);
  if (o->fid >= 0) H5Fclose(o->fid);
  unlink(o->tmp_path);
  free(o);
}
