#include "io/h5_chunks.h"

#include <libdeflate.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Chunks decoded per batch: enough to keep every thread busy, few enough that
 * the compressed copies stay small. */
static int batch_chunks(void) {
  return 4 * omp_get_max_threads();
}

void pe_h5_chunk_layout_of(hid_t did, hid_t memtype, pe_h5_chunk_layout *l) {
  memset(l, 0, sizeof *l);
  hid_t dcpl = H5Dget_create_plist(did);
  hid_t ftype = H5Dget_type(did);
  hid_t space = H5Dget_space(did);
  hsize_t chunk = 0;
  int ok = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
           H5Sget_simple_extent_ndims(space) == 1 && H5Pget_chunk(dcpl, 1, &chunk) == 1 &&
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
  l->usable = ok;
  l->elem = H5Tget_size(ftype);
  l->chunk_rows = (int64_t)chunk;
  H5Sclose(space);
  H5Tclose(ftype);
  if (dcpl >= 0) H5Pclose(dcpl);
}

/* HDF5's shuffle filter stores byte b of every element in plane b (n bytes
 * each). The 8- and 4-byte forms read or write every plane sequentially and
 * move whole elements, which the compiler vectorises; the generic byte loop
 * strides through memory and was the slowest step of a read after inflating.
 * Assembling an element by shifts assumes byte b of it is bits 8b..8b+7. */
#define PE_WHOLE_ELEMENT_SHUFFLE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static void unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (PE_WHOLE_ELEMENT_SHUFFLE && elem == 8) {
    for (size_t i = 0; i < n; i++) {
      uint64_t v = 0;
      for (size_t b = 0; b < 8; b++) v |= (uint64_t)in[b * n + i] << (8 * b);
      memcpy(out + 8 * i, &v, 8);
    }
    return;
  }
  if (PE_WHOLE_ELEMENT_SHUFFLE && elem == 4) {
    for (size_t i = 0; i < n; i++) {
      uint32_t v = 0;
      for (size_t b = 0; b < 4; b++) v |= (uint32_t)in[b * n + i] << (8 * b);
      memcpy(out + 4 * i, &v, 4);
    }
    return;
  }
  for (size_t b = 0; b < elem; b++) {
    const unsigned char *src = in + b * n;
    for (size_t i = 0; i < n; i++) out[i * elem + b] = src[i];
  }
}

static void shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (PE_WHOLE_ELEMENT_SHUFFLE && elem == 8) {
    for (size_t i = 0; i < n; i++) {
      uint64_t v;
      memcpy(&v, in + 8 * i, 8);
      for (size_t b = 0; b < 8; b++) out[b * n + i] = (unsigned char)(v >> (8 * b));
    }
    return;
  }
  if (PE_WHOLE_ELEMENT_SHUFFLE && elem == 4) {
    for (size_t i = 0; i < n; i++) {
      uint32_t v;
      memcpy(&v, in + 4 * i, 4);
      for (size_t b = 0; b < 4; b++) out[b * n + i] = (unsigned char)(v >> (8 * b));
    }
    return;
  }
  for (size_t b = 0; b < elem; b++) {
    unsigned char *dst = out + b * n;
    for (size_t i = 0; i < n; i++) dst[i] = in[i * elem + b];
  }
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
  if (do_shuffle) unshuffle(scratch, out, (size_t)l->chunk_rows, l->elem);
  return 0;
}

pe_status pe_h5_chunks_read(hid_t did, const pe_h5_chunk_layout *l, int64_t offset, int64_t count,
                            void *buf, const char *file, const char *path) {
  if (count <= 0) return PE_OK;
  const int64_t rows = l->chunk_rows;
  const size_t bytes = (size_t)rows * l->elem;
  const int64_t first = offset / rows, last = (offset + count - 1) / rows;
  const int batch = batch_chunks();
  chunk_slot *slots = calloc((size_t)batch, sizeof *slots);
  size_t *capacity = calloc((size_t)batch, sizeof *capacity);
  pe_status st =
      slots && capacity ? PE_OK : pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory", file, path);
  for (int64_t c0 = first; st == PE_OK && c0 <= last; c0 += batch) {
    int nb = (int)(last - c0 + 1 < batch ? last - c0 + 1 : batch);
    /* HDF5 is not thread-safe: fetch the stored bytes on this thread. */
    for (int j = 0; j < nb && st == PE_OK; j++) {
      hsize_t coord = (hsize_t)((c0 + j) * rows), size = 0;
      if (H5Dget_chunk_storage_size(did, &coord, &size) < 0) size = 0;
      slots[j].raw_size = (size_t)size;
      if (size == 0) continue;
      if (capacity[j] < size) {
        unsigned char *p = realloc(slots[j].raw, (size_t)size);
        if (!p) {
          st = pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory", file, path);
          break;
        }
        slots[j].raw = p;
        capacity[j] = (size_t)size;
      }
      if (H5Dread_chunk(did, H5P_DEFAULT, &coord, &slots[j].mask, slots[j].raw) < 0)
        st = pe__fail(PE_ERR_IO, "%s: %s: cannot read chunk %lld", file, path, (long long)(c0 + j));
    }
    if (st != PE_OK) break;
    int failed = -1, no_memory = 0;
#pragma omp parallel
    {
      unsigned char *tmp = malloc(2 * bytes);
      struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
#pragma omp for schedule(dynamic, 1)
      for (int j = 0; j < nb; j++) {
        int64_t c = c0 + j;
        int64_t lo = c * rows > offset ? c * rows : offset;
        int64_t hi = (c + 1) * rows < offset + count ? (c + 1) * rows : offset + count;
        unsigned char *dst = (unsigned char *)buf + (size_t)(lo - offset) * l->elem;
        int whole = lo == c * rows && hi == (c + 1) * rows;
        int rc = -1;
        if (!tmp || !inflater) {
#pragma omp atomic write
          no_memory = 1;
        } else {
          rc = decode(l, inflater, &slots[j], whole ? dst : tmp + bytes, tmp);
          if (rc == 0 && !whole)
            memcpy(dst, tmp + bytes + (size_t)(lo - c * rows) * l->elem,
                   (size_t)(hi - lo) * l->elem);
        }
        if (rc != 0) {
#pragma omp critical(pe_h5_chunks_fail)
          if (failed < 0 || j < failed) failed = j;
        }
      }
      free(tmp);
      libdeflate_free_decompressor(inflater);
    }
    if (no_memory)
      st = pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory decompressing chunks", file, path);
    else if (failed >= 0)
      st = pe__fail(PE_ERR_DATA, "%s: %s: chunk %lld is corrupt (cannot decompress)", file, path,
                    (long long)(c0 + failed));
  }
  for (int j = 0; slots && j < batch; j++) free(slots[j].raw);
  free(slots);
  free(capacity);
  return st;
}

pe_status pe_h5_chunks_write(hid_t did, const pe_h5_chunk_layout *l, int64_t first_chunk,
                             int64_t nchunks, const void *data, const char *file,
                             const char *name) {
  const size_t bytes = (size_t)l->chunk_rows * l->elem;
  const int batch = batch_chunks();
  /* A chunk is stored compressed only when that is smaller. */
  unsigned char *out = malloc((size_t)batch * bytes);
  size_t *sizes = malloc((size_t)batch * sizeof *sizes);
  uint32_t *masks = malloc((size_t)batch * sizeof *masks);
  pe_status st =
      out && sizes && masks ? PE_OK : pe__fail(PE_ERR_NOMEM, "%s: %s: out of memory", file, name);
  const size_t stride = bytes;
  for (int64_t c0 = 0; st == PE_OK && c0 < nchunks; c0 += batch) {
    int nb = (int)(nchunks - c0 < batch ? nchunks - c0 : batch);
    int failed = 0;
#pragma omp parallel
    {
      unsigned char *tmp = l->shuffle ? malloc(bytes) : NULL;
      /* libdeflate at level 1: the same zlib stream format HDF5's deflate
       * filter writes and any reader inflates, at 2-3x zlib's speed; its
       * output depends only on the chunk, so files stay identical for any
       * thread count. */
      struct libdeflate_compressor *deflater = l->deflate ? libdeflate_alloc_compressor(1) : NULL;
#pragma omp for schedule(dynamic, 1)
      for (int j = 0; j < nb; j++) {
        const unsigned char *src = (const unsigned char *)data + (size_t)(c0 + j) * bytes;
        unsigned char *dst = out + (size_t)j * stride;
        masks[j] = 0;
        if ((l->shuffle && !tmp) || (l->deflate && !deflater)) {
#pragma omp atomic write
          failed = 1;
          continue;
        }
        const unsigned char *stage = src;
        if (l->shuffle) {
          shuffle(src, tmp, (size_t)l->chunk_rows, l->elem);
          stage = tmp;
        }
        if (!l->deflate) {
          memcpy(dst, stage, bytes);
          sizes[j] = bytes;
          continue;
        }
        /* 0: the stream would not fit in `bytes`. */
        size_t len = libdeflate_zlib_compress(deflater, stage, bytes, dst, bytes);
        if (len == 0 || len >= bytes) {
          /* As HDF5 does with its optional deflate filter: store the chunk
           * uncompressed and mark the filter as skipped. */
          memcpy(dst, stage, bytes);
          len = bytes;
          masks[j] = l->shuffle ? 2u : 1u;
        }
        sizes[j] = len;
      }
      free(tmp);
      libdeflate_free_compressor(deflater);
    }
    if (failed) {
      st = pe__fail(PE_ERR_NOMEM, "%s: %s: cannot compress (out of memory)", file, name);
      break;
    }
    for (int j = 0; j < nb; j++) {
      hsize_t coord = (hsize_t)((first_chunk + c0 + j) * l->chunk_rows);
      if (H5Dwrite_chunk(did, H5P_DEFAULT, masks[j], &coord, sizes[j], out + (size_t)j * stride) <
          0) {
        st = pe__fail(PE_ERR_IO, "%s: cannot write dataset %s (disk full?)", file, name);
        break;
      }
    }
  }
  free(out);
  free(sizes);
  free(masks);
  return st;
}
