#include "io/h5_chunks.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "pe_kernels.h"

/* Chunks decoded per batch: enough to keep every thread busy, few enough that
 * the compressed copies stay small. */
static int batch_chunks(void) {
  return 4 * omp_get_max_threads();
}

static void layout_of(hid_t did, hid_t memtype, int matrix, pe_h5_chunk_layout *l) {
  memset(l, 0, sizeof *l);
  hid_t dcpl = H5Dget_create_plist(did);
  hid_t ftype = H5Dget_type(did);
  hid_t space = H5Dget_space(did);
  const int rank = H5Sget_simple_extent_ndims(space);
  hsize_t chunk[2] = {0, 1}, dims[2] = {0, 1};
  int ok = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
           (rank == 1 || (matrix && rank == 2)) && H5Pget_chunk(dcpl, rank, chunk) == rank &&
           H5Sget_simple_extent_dims(space, dims, NULL) == rank && chunk[1] == dims[1] &&
           H5Tequal(ftype, memtype) > 0;
  int nfilters = ok ? H5Pget_nfilters(dcpl) : 0;
  for (int i = 0; ok && i < nfilters; i++) {
    unsigned flags, config;
    size_t nvalues = 0;
    H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nvalues, NULL, 0, NULL, &config);
    if (f == H5Z_FILTER_SHUFFLE && i == 0)
      l->shuffle = 1;
    else if (f == H5Z_FILTER_DEFLATE && i == nfilters - 1)
      l->deflate = 1;
    else
      ok = 0;
  }
  if (ok && l->shuffle && !l->deflate) ok = 0; /* unusual: leave it to HDF5 */
  /* A chunk never written reads as the fill value; the direct path writes
   * zeros, so any other fill value is left to HDF5. */
  H5D_fill_value_t fill = H5D_FILL_VALUE_ERROR;
  if (ok && (H5Pfill_value_defined(dcpl, &fill) < 0 || fill == H5D_FILL_VALUE_ERROR)) ok = 0;
  if (ok && fill == H5D_FILL_VALUE_USER_DEFINED) {
    unsigned char value[64] = {0};
    size_t size = H5Tget_size(ftype);
    ok = size <= sizeof value && H5Pget_fill_value(dcpl, ftype, value) >= 0;
    for (size_t b = 0; ok && b < size; b++) ok = value[b] == 0;
  }
  l->usable = ok;
  l->elem = H5Tget_size(ftype);
  l->chunk_rows = (int64_t)(chunk[0] * chunk[1]);
  l->row_elems = (int64_t)chunk[1];
  H5Sclose(space);
  H5Tclose(ftype);
  if (dcpl >= 0) H5Pclose(dcpl);
}

void pe_h5_chunk_layout_of(hid_t did, hid_t memtype, pe_h5_chunk_layout *l) {
  layout_of(did, memtype, 0, l);
}

void pe_h5_matrix_layout_of(hid_t did, hid_t memtype, pe_h5_chunk_layout *l) {
  layout_of(did, memtype, 1, l);
}

typedef struct {
  unsigned char *raw; /* stored bytes of the chunk */
  size_t raw_size;
  uint32_t mask; /* bit i set: filter i was skipped for this chunk */
  int status;    /* 0 ok, -1 corrupt */
} chunk_slot;

/* Decodes one stored chunk into `out` (chunk_rows * elem bytes); `scratch`
 * holds the same amount. HDF5's deflate filter writes zlib streams; reading
 * them with libdeflate (whole-buffer, about twice zlib's speed here) keeps
 * the same checks: the Adler-32 trailer must match and the stream must fill
 * the chunk exactly, or the chunk is corrupt. */
static int decode(const pe_h5_chunk_layout *l, struct libdeflate_decompressor *inflater,
                  chunk_slot *c, unsigned char *out, unsigned char *scratch) {
  size_t bytes = (size_t)l->chunk_rows * l->elem;
  if (c->raw_size == 0) { /* never written: HDF5's fill value is 0 */
    memset(out, 0, bytes);
    return 0;
  }
  int do_shuffle = l->shuffle && l->elem > 1 && !(c->mask & 1u);
  int do_deflate = l->deflate && !(c->mask & (l->shuffle ? 2u : 1u));
  unsigned char *stage = do_shuffle ? scratch : out;
  if (do_deflate) {
    if (libdeflate_zlib_decompress(inflater, c->raw, c->raw_size, stage, bytes, NULL) !=
        LIBDEFLATE_SUCCESS)
      return -1;
  } else {
    if (c->raw_size != bytes) return -1;
    memcpy(stage, c->raw, bytes);
  }
  /* HDF5's shuffle filter stored byte b of every element in plane b. */
  if (do_shuffle) pe_kernel_unshuffle(scratch, out, (size_t)l->chunk_rows, l->elem);
  return 0;
}

/* The stored size of the chunk at `coord`, 0 for one never written (read
 * as zeros); -1 when the chunk index cannot be read. */
static int chunk_stored_size(hid_t did, const hsize_t *coord, hsize_t *size) {
  unsigned mask = 0;
  haddr_t addr = HADDR_UNDEF;
  *size = 0;
  if (H5Dget_chunk_info_by_coord(did, coord, &mask, &addr, size) < 0) return -1;
  if (addr == HADDR_UNDEF) *size = 0;
  return 0;
}

/* Stored chunks fetched ahead of their decoding, at most: enough for both
 * threads to decode while this one fetches, little enough that the
 * compressed copies of a long column never pile up. */
static int fetch_window(void) {
  return 8 * omp_get_max_threads();
}

/* One fetched chunk waiting to be decoded. */
typedef struct {
  const pe_h5_chunk_request *req;
  int64_t chunk, order; /* chunk index; position in the read, for errors */
  chunk_slot slot;
} fetched_chunk;

/* Per-thread decoding state, made once per read. */
typedef struct {
  unsigned char *tmp; /* 2 x the largest chunk */
  struct libdeflate_decompressor *inflater;
} decoder;

/* Decodes `f` into its request's buffer (the part of the chunk inside
 * [offset, offset + count)); returns 0 or -1 for a corrupt chunk. */
static int decode_into(const fetched_chunk *f, int64_t offset, int64_t count, decoder *dec) {
  const pe_h5_chunk_layout *l = f->req->layout;
  const int64_t rows = l->chunk_rows, c = f->chunk;
  const size_t bytes = (size_t)rows * l->elem;
  const int64_t lo = c * rows > offset ? c * rows : offset;
  const int64_t hi = (c + 1) * rows < offset + count ? (c + 1) * rows : offset + count;
  unsigned char *dst = (unsigned char *)f->req->buf + (size_t)(lo - offset) * l->elem;
  const int whole = lo == c * rows && hi == (c + 1) * rows;
  chunk_slot slot = f->slot;
  int rc = decode(l, dec->inflater, &slot, whole ? dst : dec->tmp + bytes, dec->tmp);
  if (rc == 0 && !whole)
    memcpy(dst, dec->tmp + bytes + (size_t)(lo - c * rows) * l->elem, (size_t)(hi - lo) * l->elem);
  return rc;
}

pe_status pe_h5_chunks_read_many(const pe_h5_chunk_request *req, int nreq, int64_t offset,
                                 int64_t count, const char *file) {
  if (count <= 0 || nreq <= 0) return PE_OK;
  size_t largest = 0;
  for (int r = 0; r < nreq; r++) {
    size_t bytes = (size_t)req[r].layout->chunk_rows * req[r].layout->elem;
    if (bytes > largest) largest = bytes;
  }
  const int threads = omp_get_max_threads(), window = fetch_window();
  decoder *dec = calloc((size_t)threads, sizeof *dec);
  PE_FAIL_IF(!dec, PE_ERR_NOMEM, "%s: out of memory for chunk decoders", file);
  pe_status st = PE_OK;
  int64_t failed = -1; /* lowest order of a corrupt chunk */
  const pe_h5_chunk_request *failed_req = NULL;
  int64_t failed_chunk = 0;
  int no_memory = 0;
  /* One thread fetches stored chunks (HDF5 is not thread-safe) and hands
   * each to a task; every thread, the fetcher included between fetches,
   * decodes. Fetching overlaps decoding instead of alternating with it. */
#pragma omp parallel num_threads(threads)
  {
    decoder *mine = &dec[omp_get_thread_num()];
    mine->tmp = malloc(2 * largest);
    mine->inflater = libdeflate_alloc_decompressor();
#pragma omp barrier
    /* The thread that called: HDF5's error printing is off there, and the
     * message of a failure is recorded where the caller will read it. */
#pragma omp master
    {
      int64_t order = 0, in_flight = 0;
      for (int r = 0; r < nreq && st == PE_OK; r++) {
        const pe_h5_chunk_request *q = &req[r];
        const int64_t rows = q->layout->chunk_rows;
        const int64_t first = offset / rows, last = (offset + count - 1) / rows;
        for (int64_t c = first; c <= last && st == PE_OK; c++, order++) {
          if (in_flight == window) {
#pragma omp taskwait
            in_flight = 0;
          }
          fetched_chunk *f = calloc(1, sizeof *f);
          hsize_t coord = (hsize_t)(c * rows), size = 0;
          if (f && chunk_stored_size(q->did, &coord, &size) < 0) {
            free(f);
            st = pe__fail(PE_ERR_IO, "%s: %s: cannot locate chunk %lld", file, q->path,
                          (long long)c);
            break;
          }
          /* A stored chunk with no filter that lies wholly inside the read
           * is the data itself: read straight into place, without a staging
           * copy (which, for a large uncompressed matrix, raised the peak by
           * the chunks in flight). */
          const size_t chunk_bytes = (size_t)rows * q->layout->elem;
          if (f && size == chunk_bytes && !q->layout->shuffle && !q->layout->deflate &&
              c * rows >= offset && (c + 1) * rows <= offset + count) {
            unsigned char *dst =
                (unsigned char *)q->buf + (size_t)(c * rows - offset) * q->layout->elem;
            uint32_t mask = 0;
            const herr_t rc = H5Dread_chunk(q->did, H5P_DEFAULT, &coord, &mask, dst);
            free(f);
            if (rc < 0) {
              st = pe__fail(PE_ERR_IO, "%s: %s: cannot read chunk %lld", file, q->path,
                            (long long)c);
              break;
            }
            continue;
          }
          if (f && size > 0) f->slot.raw = malloc((size_t)size);
          if (!f || (size > 0 && !f->slot.raw)) {
            if (f) free(f->slot.raw);
            free(f);
            st = pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory", file, q->path);
            break;
          }
          f->req = q;
          f->chunk = c;
          f->order = order;
          f->slot.raw_size = (size_t)size;
          if (size > 0 &&
              H5Dread_chunk(q->did, H5P_DEFAULT, &coord, &f->slot.mask, f->slot.raw) < 0) {
            free(f->slot.raw);
            free(f);
            st = pe__fail(PE_ERR_IO, "%s: %s: cannot read chunk %lld", file, q->path, (long long)c);
            break;
          }
          in_flight++;
#pragma omp task firstprivate(f)
          {
            decoder *d = &dec[omp_get_thread_num()];
            int rc = -1;
            if (!d->tmp || !d->inflater) {
#pragma omp atomic write
              no_memory = 1;
            } else {
              rc = decode_into(f, offset, count, d);
            }
            if (rc != 0) {
#pragma omp critical(pe_h5_chunks_fail)
              if (failed < 0 || f->order < failed) {
                failed = f->order;
                failed_req = f->req;
                failed_chunk = f->chunk;
              }
            }
            free(f->slot.raw);
            free(f);
          }
        }
      }
#pragma omp taskwait
    }
    /* Every task has run (a barrier waits for them) before a decoder goes. */
#pragma omp barrier
    free(mine->tmp);
    libdeflate_free_decompressor(mine->inflater);
  }
  free(dec);
  if (st != PE_OK) return st;
  PE_FAIL_IF(no_memory, PE_ERR_NOMEM, "%s: out of memory decompressing chunks", file);
  PE_FAIL_IF(failed >= 0, PE_ERR_DATA, "%s: %s: chunk %lld is corrupt (cannot decompress)", file,
             failed_req->path, (long long)failed_chunk);
  return PE_OK;
}

/* Fetches the stored chunk `chunk` of column `q` into a new buffer in
 * *slot (raw NULL and size 0 for one never written). Returns 0, -1 when the
 * chunk cannot be located or read, -2 when out of memory. */
static int fetch_chunk(const pe_h5_chunk_request *q, int64_t chunk, chunk_slot *slot) {
  hsize_t coord = (hsize_t)(chunk * q->layout->chunk_rows), size = 0;
  memset(slot, 0, sizeof *slot);
  if (chunk_stored_size(q->did, &coord, &size) < 0) return -1;
  if (size == 0) return 0;
  slot->raw = malloc((size_t)size);
  if (!slot->raw) return -2;
  slot->raw_size = (size_t)size;
  if (H5Dread_chunk(q->did, H5P_DEFAULT, &coord, &slot->mask, slot->raw) < 0) return -1;
  return 0;
}

/* One block fetched and waiting to be decoded: a chunk of each column. */
typedef struct {
  int64_t block;
  chunk_slot slot[16];
} fetched_block;

/* Per-thread state of pe_h5_chunks_each_block. */
typedef struct {
  decoder dec;
  void *col[16]; /* a decoded chunk of each column */
} block_decoder;

pe_status pe_h5_chunks_each_block(const pe_h5_chunk_request *req, int nreq, int64_t rows,
                                  pe_h5_block_fn fn, void *ctx, const char *file,
                                  int64_t *failed_block) {
  *failed_block = -1;
  if (rows <= 0 || nreq <= 0) return PE_OK;
  PE_FAIL_IF(nreq > 16, PE_ERR_USAGE, "%s: at most 16 columns a block read", file);
  const int64_t chunk_rows = req[0].layout->chunk_rows;
  size_t largest = 0;
  for (int r = 0; r < nreq; r++) {
    const pe_h5_chunk_layout *l = req[r].layout;
    PE_FAIL_IF(!l->usable || l->chunk_rows != chunk_rows || l->row_elems != 1, PE_ERR_USAGE,
               "%s: %s is not stored in chunks of %lld rows for a block read", file, req[r].path,
               (long long)chunk_rows);
    const size_t bytes = (size_t)chunk_rows * l->elem;
    if (bytes > largest) largest = bytes;
  }
  const int64_t blocks = (rows + chunk_rows - 1) / chunk_rows;
  const int threads = omp_get_max_threads(), window = fetch_window();
  block_decoder *bd = calloc((size_t)threads, sizeof *bd);
  PE_FAIL_IF(!bd, PE_ERR_NOMEM, "%s: out of memory for chunk decoders", file);
  pe_status st = PE_OK;
  /* The lowest block that failed: its chunk `corrupt_col` was corrupt
   * (-1: `fn` stopped it). */
  int64_t failed = INT64_MAX, fetch_failed = INT64_MAX; /* the block whose fetch set st */
  int corrupt_col = -1, no_memory = 0;
#pragma omp parallel num_threads(threads)
  {
    block_decoder *mine = &bd[omp_get_thread_num()];
    mine->dec.tmp = malloc(2 * largest);
    mine->dec.inflater = libdeflate_alloc_decompressor();
    for (int r = 0; r < nreq; r++) mine->col[r] = malloc(largest);
#pragma omp barrier
#pragma omp master
    {
      int64_t in_flight = 0;
      for (int64_t b = 0; b < blocks && st == PE_OK; b++) {
        int64_t lowest;
#pragma omp atomic read
        lowest = failed;
        if (lowest != INT64_MAX) break; /* later blocks cannot matter */
        if (in_flight == window) {
#pragma omp taskwait
          in_flight = 0;
        }
        fetched_block *f = calloc(1, sizeof *f);
        if (!f) {
          st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", file);
          fetch_failed = b;
          break;
        }
        f->block = b;
        for (int r = 0; r < nreq && st == PE_OK; r++) {
          const int rc = fetch_chunk(&req[r], b, &f->slot[r]);
          if (rc == -2) st = pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory", file, req[r].path);
          if (rc == -1)
            st = pe__fail(PE_ERR_IO, "%s: %s: cannot read chunk %lld", file, req[r].path,
                          (long long)b);
        }
        if (st != PE_OK) {
          fetch_failed = b;
          for (int r = 0; r < nreq; r++) free(f->slot[r].raw);
          free(f);
          break;
        }
        in_flight++;
#pragma omp task firstprivate(f)
        {
          block_decoder *d = &bd[omp_get_thread_num()];
          int ready = d->dec.tmp && d->dec.inflater, bad_col = -1;
          for (int r = 0; r < nreq; r++) ready = ready && d->col[r];
          if (!ready) {
#pragma omp atomic write
            no_memory = 1;
          }
          for (int r = 0; ready && r < nreq && bad_col < 0; r++)
            if (decode(req[r].layout, d->dec.inflater, &f->slot[r], d->col[r], d->dec.tmp) != 0)
              bad_col = r;
          const int64_t offset = f->block * chunk_rows;
          const int64_t n = rows - offset < chunk_rows ? rows - offset : chunk_rows;
          if (ready && (bad_col >= 0 || fn(ctx, f->block, offset, n, d->col) != 0)) {
#pragma omp critical(pe_h5_each_block_fail)
            if (f->block < failed) {
#pragma omp atomic write
              failed = f->block;
              corrupt_col = bad_col;
            }
          }
          for (int r = 0; r < nreq; r++) free(f->slot[r].raw);
          free(f);
        }
      }
#pragma omp taskwait
    }
#pragma omp barrier
    free(mine->dec.tmp);
    libdeflate_free_decompressor(mine->dec.inflater);
    for (int r = 0; r < nreq; r++) free(mine->col[r]);
  }
  free(bd);
  /* A block before the one that could not be fetched failed first: its
   * report wins, as it would have had the fetch been slower. */
  if (st != PE_OK && failed >= fetch_failed) return st;
  PE_FAIL_IF(no_memory, PE_ERR_NOMEM, "%s: out of memory decompressing chunks", file);
  PE_FAIL_IF(failed != INT64_MAX && corrupt_col >= 0, PE_ERR_DATA,
             "%s: %s: chunk %lld is corrupt (cannot decompress)", file, req[corrupt_col].path,
             (long long)failed);
  if (failed != INT64_MAX) *failed_block = failed;
  return PE_OK;
}

pe_status pe_h5_chunks_read(hid_t did, const pe_h5_chunk_layout *l, int64_t offset, int64_t count,
                            void *buf, const char *file, const char *path) {
  const pe_h5_chunk_request req = {did, l, buf, path};
  return pe_h5_chunks_read_many(&req, 1, offset, count, file);
}

/* Encodes one chunk (chunk_rows * elem bytes at `src`) as HDF5's filters
 * would store it: into `dst` (room for the raw bytes), with its stored size
 * and filter mask. `tmp` is scratch of the same size when shuffling. */
/* A thread's deflate: ISA-L's igzip at level 1 (Debian's libisal), 2.5-6
 * times libdeflate's level 1 on result columns (measured at 1M customers:
 * 157 MB of columns in 0.20 s instead of 0.55 s on one thread) for streams
 * 5-10% larger. Reading stays with libdeflate, whose inflate is the faster
 * of the two here. Either writes the zlib stream format HDF5's deflate
 * filter writes and any reader inflates. */
typedef struct {
  unsigned char *level_buf; /* igzip's level 1 hash tables */
} deflater;

static int deflater_open(deflater *z) {
  z->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
  return z->level_buf != NULL;
}

static void deflater_close(deflater *z) {
  free(z->level_buf);
  z->level_buf = NULL;
}

/* The zlib stream of src[0..n) into dst, at most `cap` bytes; 0 when it
 * does not fit. It depends on the chunk only (one shot, no state carried
 * from chunk to chunk), so a file is the same for any thread count. */
static size_t zlib_compress(deflater *z, const unsigned char *src, size_t n, unsigned char *dst,
                            size_t cap) {
  if (n > UINT32_MAX || cap > UINT32_MAX) return 0;
  struct isal_zstream zs;
  isal_deflate_stateless_init(&zs);
  zs.level = 1;
  zs.level_buf = z->level_buf;
  zs.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
  zs.gzip_flag = IGZIP_ZLIB;
  zs.end_of_stream = 1;
  zs.flush = NO_FLUSH;
  zs.next_in = (uint8_t *)src;
  zs.avail_in = (uint32_t)n;
  zs.next_out = dst;
  zs.avail_out = (uint32_t)cap;
  if (isal_deflate_stateless(&zs) != COMP_OK || zs.avail_in != 0) return 0;
  return zs.total_out;
}

static void encode_chunk(const pe_h5_chunk_layout *l, const unsigned char *src, unsigned char *tmp,
                         deflater *z, unsigned char *dst, size_t *size, uint32_t *mask) {
  const size_t bytes = (size_t)l->chunk_rows * l->elem;
  const unsigned char *stage = src;
  *mask = 0;
  /* Byte planes of one-byte elements are the bytes themselves (as HDF5's
   * shuffle filter knows: it leaves them as they are). */
  if (l->shuffle && l->elem > 1) {
    pe_kernel_shuffle(src, tmp, (size_t)l->chunk_rows, l->elem);
    stage = tmp;
  }
  if (!l->deflate) {
    memcpy(dst, stage, bytes);
    *size = bytes;
    return;
  }
  size_t len = zlib_compress(z, stage, bytes, dst, bytes);
  if (len == 0 || len >= bytes) {
    /* As HDF5 does with its optional deflate filter: store the chunk
     * uncompressed and mark the filter as skipped. */
    memcpy(dst, stage, bytes);
    len = bytes;
    *mask = l->shuffle ? 2u : 1u;
  }
  *size = len;
}

/* A sample of at most this many bytes, from the middle of the data, decides
 * whether a dataset is compressed (pe_h5_deflate_pays). */
#define SAMPLE_BYTES ((size_t)64 << 10)

int pe_h5_deflate_pays(const void *data, int64_t count, size_t elem) {
  const size_t bytes = (size_t)count * elem;
  /* Small datasets: sampling them would cost about as much as compressing them. */
  if (count <= 0 || elem == 0 || bytes <= SAMPLE_BYTES) return 1;
  const size_t n = SAMPLE_BYTES / elem, sample = n * elem;
  const unsigned char *src = (const unsigned char *)data + ((size_t)count - n) / 2 * elem;
  unsigned char *planes = malloc(2 * sample);
  deflater z;
  const int open = deflater_open(&z);
  int pays = 1; /* out of memory: compress, as before */
  if (planes && open) {
    if (elem > 1) pe_kernel_shuffle(src, planes, n, elem);
    const size_t len = zlib_compress(&z, elem > 1 ? planes : src, sample, planes + sample, sample);
    pays = len > 0 && len * PE_H5_DEFLATE_MIN_RATIO <= sample;
  }
  deflater_close(&z);
  free(planes);
  return pays;
}

/* One chunk of a multi-dataset write. */
typedef struct {
  int req;
  int64_t chunk;
} write_job;

/* The bytes of chunk `chunk` of `q`: in place when the chunk is whole, else
 * its rows copied to `pad` (a chunk long) and zero-padded to the full size,
 * as HDF5 stores a last chunk. */
static const unsigned char *chunk_source(const pe_h5_chunk_write_request *q, int64_t chunk,
                                         unsigned char *pad) {
  const pe_h5_chunk_layout *l = q->layout;
  const int64_t first = chunk * l->chunk_rows;
  const unsigned char *src = (const unsigned char *)q->data + (size_t)first * l->elem;
  if (q->count - first >= l->chunk_rows) return src;
  const size_t have = (size_t)(q->count - first) * l->elem;
  memcpy(pad, src, have);
  memset(pad + have, 0, (size_t)l->chunk_rows * l->elem - have);
  return pad;
}

static hsize_t chunk_first_row(const pe_h5_chunk_write_request *q, int64_t chunk) {
  return (hsize_t)((q->first_chunk + chunk) * q->layout->chunk_rows / q->layout->row_elems);
}

/* A dataset stored without filters: each chunk is a contiguous run of its
 * rows and is written as it is (H5Dwrite would first copy it through HDF5's
 * chunk cache). */
static pe_status write_unfiltered(const pe_h5_chunk_write_request *q, unsigned char *pad,
                                  const char *file) {
  const size_t bytes = (size_t)q->layout->chunk_rows * q->layout->elem;
  for (int64_t c = 0; c * q->layout->chunk_rows < q->count; c++) {
    hsize_t coord[2] = {chunk_first_row(q, c), 0};
    PE_FAIL_IF(H5Dwrite_chunk(q->did, H5P_DEFAULT, 0, coord, bytes, chunk_source(q, c, pad)) < 0,
               PE_ERR_IO, "%s: cannot write dataset %s (disk full?)", file, q->path);
  }
  return PE_OK;
}

/* The compressed chunks of a multi-dataset write on their way to HDF5: a
 * ring of `slots` buffers. Job j is compressed into slot j % slots once job
 * j - slots is written; `ready[slot]` then holds j + 1. */
typedef struct {
  const pe_h5_chunk_write_request *req;
  const write_job *jobs;
  int64_t njobs;
  int slots;
  size_t max_bytes;
  unsigned char *out;
  size_t *sizes;
  uint32_t *masks;
  _Atomic int64_t *ready;
  _Atomic int64_t next;    /* the next job to claim */
  _Atomic int64_t written; /* jobs written (their slots free again) */
  _Atomic int stop;        /* a write failed: compress no more */
  _Atomic int no_memory;   /* a thread could not get its buffers */
} write_ring;

typedef struct {
  unsigned char *tmp, *pad;
  deflater z;
  int ok;
} encoder;

static void encoder_open(encoder *e, size_t max_bytes) {
  e->tmp = malloc(max_bytes);
  e->pad = malloc(max_bytes);
  e->ok = deflater_open(&e->z) && e->tmp && e->pad;
}

static void encoder_close(encoder *e) {
  free(e->tmp);
  free(e->pad);
  deflater_close(&e->z);
}

/* A wait for another thread: spins a little, then sleeps in short naps,
 * which leave the core to the thread waited for (there may be more threads
 * than cores) and to the kernel's writeback. A wait is usually the
 * compressing threads' while the writer copies an uncompressed dataset. */
static void pause_briefly(unsigned *spins) {
  if (++*spins < 256) {
    __builtin_ia32_pause();
    return;
  }
  const struct timespec nap = {0, 20000};
  nanosleep(&nap, NULL);
}

/* Compresses job j into its slot, waiting for the slot to be free. */
static void compress_job(write_ring *w, encoder *e, int64_t j) {
  unsigned spins = 0;
  while (j - atomic_load_explicit(&w->written, memory_order_acquire) >= w->slots &&
         !atomic_load_explicit(&w->stop, memory_order_relaxed))
    pause_briefly(&spins);
  const int slot = (int)(j % w->slots);
  const pe_h5_chunk_write_request *q = &w->req[w->jobs[j].req];
  /* After a failed write nothing more is written: the slot may still be
   * another job's, so it is not touched. */
  if (atomic_load_explicit(&w->stop, memory_order_relaxed)) return;
  if (e->ok)
    encode_chunk(q->layout, chunk_source(q, w->jobs[j].chunk, e->pad), e->tmp, &e->z,
                 w->out + (size_t)slot * w->max_bytes, &w->sizes[slot], &w->masks[slot]);
  else
    atomic_store(&w->no_memory, 1);
  atomic_store_explicit(&w->ready[slot], j + 1, memory_order_release);
}

/* Claims the next job if it is below `limit`; -1 when there is none. */
static int64_t claim_below(write_ring *w, int64_t limit) {
  int64_t j = atomic_load(&w->next);
  while (j < limit && j < w->njobs)
    if (atomic_compare_exchange_weak(&w->next, &j, j + 1)) return j;
  return -1;
}

/* The HDF5 side, on the calling thread: the unfiltered datasets (while the
 * other threads already compress), then every compressed chunk in job
 * order, compressing some itself while the next one is not ready. The file
 * is the same as with one thread: every chunk is compressed on its own and
 * written in the same order. */
static pe_status write_in_order(write_ring *w, encoder *e, const pe_h5_chunk_write_request *req,
                                int nreq, const char *file) {
  pe_status st = PE_OK;
  for (int r = 0; st == PE_OK && r < nreq; r++)
    if (!req[r].layout->deflate && req[r].count > 0) {
      if (!e->ok) st = pe__fail(PE_ERR_NOMEM, "%s: out of memory writing %s", file, req[r].path);
      if (st == PE_OK) st = write_unfiltered(&req[r], e->pad, file);
    }
  for (int64_t j = 0; st == PE_OK && j < w->njobs; j++) {
    const int slot = (int)(j % w->slots);
    unsigned spins = 0;
    while (atomic_load_explicit(&w->ready[slot], memory_order_acquire) != j + 1) {
      const int64_t mine = claim_below(w, j + w->slots);
      if (mine >= 0)
        compress_job(w, e, mine);
      else
        pause_briefly(&spins);
    }
    if (atomic_load(&w->no_memory)) {
      st = pe__fail(PE_ERR_NOMEM, "%s: out of memory compressing %s", file,
                    req[w->jobs[j].req].path);
      break;
    }
    const pe_h5_chunk_write_request *q = &req[w->jobs[j].req];
    hsize_t coord[2] = {chunk_first_row(q, w->jobs[j].chunk), 0};
    if (H5Dwrite_chunk(q->did, H5P_DEFAULT, w->masks[slot], coord, w->sizes[slot],
                       w->out + (size_t)slot * w->max_bytes) < 0)
      st = pe__fail(PE_ERR_IO, "%s: cannot write dataset %s (disk full?)", file, q->path);
    atomic_store_explicit(&w->written, j + 1, memory_order_release);
  }
  if (st != PE_OK) atomic_store(&w->stop, 1);
  return st;
}

pe_status pe_h5_chunks_write_many(const pe_h5_chunk_write_request *req, int nreq,
                                  const char *file) {
  int64_t njobs = 0;
  size_t max_bytes = 0;
  for (int r = 0; r < nreq; r++) {
    const pe_h5_chunk_layout *l = req[r].layout;
    if (l->deflate) njobs += (req[r].count + l->chunk_rows - 1) / l->chunk_rows;
    const size_t bytes = (size_t)l->chunk_rows * l->elem;
    if (bytes > max_bytes) max_bytes = bytes;
  }
  if (max_bytes == 0) return PE_OK;
  write_ring w = {.req = req, .njobs = njobs, .slots = batch_chunks(), .max_bytes = max_bytes};
  write_job *jobs = malloc((size_t)(njobs ? njobs : 1) * sizeof *jobs);
  w.jobs = jobs;
  w.out = malloc((size_t)w.slots * max_bytes);
  w.sizes = malloc((size_t)w.slots * sizeof *w.sizes);
  w.masks = malloc((size_t)w.slots * sizeof *w.masks);
  w.ready = malloc((size_t)w.slots * sizeof *w.ready);
  if (!jobs || !w.out || !w.sizes || !w.masks || !w.ready) {
    free(jobs), free(w.out), free(w.sizes), free(w.masks), free(w.ready);
    return pe__fail(PE_ERR_NOMEM, "%s: out of memory compressing %s", file, req[0].path);
  }
  for (int i = 0; i < w.slots; i++) atomic_init(&w.ready[i], 0);
  int64_t k = 0;
  for (int r = 0; r < nreq; r++)
    for (int64_t c = 0; req[r].layout->deflate && c * req[r].layout->chunk_rows < req[r].count; c++)
      jobs[k++] = (write_job){r, c};
  /* One parallel region for the whole write: the chunks of every dataset
   * are compressed side by side (small columns are one chunk each), while
   * this thread makes the HDF5 calls, which are not thread-safe, and its
   * copies into the page cache overlap the compression instead of
   * following it. */
  pe_status st = PE_OK;
#pragma omp parallel if (njobs > 0)
  {
    encoder e;
    encoder_open(&e, max_bytes);
    if (omp_get_thread_num() == 0) {
      st = write_in_order(&w, &e, req, nreq, file);
    } else {
      int64_t j;
      while (!atomic_load_explicit(&w.stop, memory_order_relaxed) &&
             (j = atomic_fetch_add(&w.next, 1)) < njobs)
        compress_job(&w, &e, j);
    }
    encoder_close(&e);
  }
  free(jobs);
  free(w.out);
  free(w.sizes);
  free(w.masks);
  free(w.ready);
  return st;
}

pe_status pe_h5_chunks_write(hid_t did, const pe_h5_chunk_layout *l, int64_t first_chunk,
                             int64_t nchunks, const void *data, const char *file,
                             const char *name) {
  const pe_h5_chunk_write_request req = {did, l, data, nchunks * l->chunk_rows, name, first_chunk};
  return pe_h5_chunks_write_many(&req, 1, file);
}
