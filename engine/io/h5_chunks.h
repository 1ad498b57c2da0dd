/* Parallel chunk codec for 1-D columns stored with HDF5's standard shuffle +
 * deflate filters.
 *
 * The serial HDF5 library runs its filter pipeline on one thread, and zlib
 * then dominates both writing and reading. Here the HDF5 calls stay on one
 * thread (H5Dread_chunk / H5Dwrite_chunk move raw chunk bytes), while
 * (de)compression and (un)shuffling run in parallel over chunks, with
 * libdeflate. The chunks are in the format of HDF5's own filters (shuffle,
 * then a zlib stream, or the raw bytes with the filter-skipped mask when
 * deflate does not pay), so any HDF5 reader (h5py, h5dump) reads them, and we
 * read files written by others. */
#ifndef PE_IO_H5_CHUNKS_H
#define PE_IO_H5_CHUNKS_H

#include <hdf5.h>
#include <stdint.h>

#include "personae/status.h"

typedef struct {
  int usable;  /* 1 if chunks can be read/written directly */
  int shuffle; /* filter pipeline: [shuffle,] deflate, or none */
  int deflate;
  size_t elem;        /* bytes per element (file type == memory type) */
  int64_t chunk_rows; /* elements per chunk */
  int64_t row_elems;  /* elements per row: 1 for a column, the width of a matrix */
} pe_h5_chunk_layout;

/* Describes how column `did` is stored and whether the direct path applies:
 * chunked, 1-D, filters among {shuffle, deflate} only, and the file type equal
 * to the memory type `memtype` (no conversion needed). */
void pe_h5_chunk_layout_of(hid_t did, hid_t memtype, pe_h5_chunk_layout *layout);

/* The same for a row-major matrix whose chunks are blocks of whole rows (the
 * chunk spans every column): such a chunk is a contiguous run of the matrix
 * in memory, so it is written like a column's. For writing only: the reads
 * take 1-D layouts. */
void pe_h5_matrix_layout_of(hid_t did, hid_t memtype, pe_h5_chunk_layout *layout);

/* One column's part of a multi-column read. */
typedef struct {
  hid_t did;
  const pe_h5_chunk_layout *layout; /* usable */
  void *buf;                        /* count elements */
  const char *path;                 /* for messages */
} pe_h5_chunk_request;

/* Reads rows [offset, offset + count) of several columns at once: one thread
 * fetches the stored chunks while the others (and it, between fetches)
 * decode them, all columns in one parallel region. A corrupt chunk is
 * PE_ERR_DATA naming the first one in column order. */
pe_status pe_h5_chunks_read_many(const pe_h5_chunk_request *req, int nreq, int64_t offset,
                                 int64_t count, const char *file);

/* Called for one block of rows [offset, offset + rows), on the thread that
 * has just decoded it: cols[r] holds request r's values (in a buffer of the
 * thread's, valid until the call returns). Returns 0, or nonzero to stop. */
typedef int (*pe_h5_block_fn)(void *ctx, int64_t block, int64_t offset, int64_t rows,
                              void *const *cols);

/* Rows [0, rows) of several columns stored in chunks of the same number of
 * rows (all layouts usable, 1-D), block by block: a block is one chunk of
 * each column. One thread fetches the stored chunks in block order; each
 * block is decoded by one thread into buffers of its own and handed to `fn`
 * at once, while it is still in that thread's caches, so that a caller who
 * checks or regroups the values never sends them through memory. Blocks
 * run in parallel, in no fixed order. When `fn` stops a block, no later
 * block is fetched and *failed_block is the lowest stopped block (-1: none);
 * a corrupt chunk in a block before it is PE_ERR_DATA instead, naming the
 * first one. PE_ERR_USAGE when the layouts do not fit. */
pe_status pe_h5_chunks_each_block(const pe_h5_chunk_request *req, int nreq, int64_t rows,
                                  pe_h5_block_fn fn, void *ctx, const char *file,
                                  int64_t *failed_block);

/* Reads rows [offset, offset + count) through the direct path. */
pe_status pe_h5_chunks_read(hid_t did, const pe_h5_chunk_layout *layout, int64_t offset,
                            int64_t count, void *buf, const char *file, const char *path);

/* One dataset's part of a multi-dataset write: all `count` elements of
 * `data` (the last chunk is zero-padded here). */
typedef struct {
  hid_t did;
  const pe_h5_chunk_layout *layout; /* usable */
  const void *data;
  int64_t count;
  const char *path;    /* for messages */
  int64_t first_chunk; /* where `data` goes in the dataset, in chunks */
} pe_h5_chunk_write_request;

/* Writes every chunk of several datasets: the calling thread makes every
 * HDF5 call, in a fixed order (the datasets stored without filters first,
 * straight from `data`, then the compressed chunks), while the other
 * threads compress chunks ahead of it. The file does not depend on the
 * thread count. */
pe_status pe_h5_chunks_write_many(const pe_h5_chunk_write_request *req, int nreq, const char *file);

/* Writes `nchunks` whole chunks starting at chunk index `first_chunk` from
 * `data` (nchunks * chunk_rows elements; the caller pads the last one). The
 * dataset extent must already cover them. */
pe_status pe_h5_chunks_write(hid_t did, const pe_h5_chunk_layout *layout, int64_t first_chunk,
                             int64_t nchunks, const void *data, const char *file, const char *name);

/* Whether shuffle + deflate is worth its time for a dataset of `count`
 * elements of `elem` bytes at `data`: it must shrink a sample (64 KiB from
 * the middle, shuffled and compressed as the chunks would be) at least
 * PE_H5_DEFLATE_MIN_RATIO times. Writing the bytes as they are runs at GB/s;
 * deflate (ISA-L level 1) at 0.5-0.8 GB/s a thread on columns it shrinks
 * less than 3x, so those cost more time to compress than their smaller file
 * saves: money and averages (1.3-1.6x), timestamps and day counts (2.5-3.2x).
 * At 1M customers leaving /rfm's first_purchase, last_purchase, recency_days
 * and tenure_days as they are took the /rfm write from 0.093 to 0.048 s
 * (libdeflate then), for a results file of 172 MB instead of 155 MB. Ids,
 * counts, codes and flags (4-25x, 1-3 GB/s) stay compressed. Small datasets
 * (up to the sample's size) are always compressed. The same data gives the
 * same answer. */
#define PE_H5_DEFLATE_MIN_RATIO 3
int pe_h5_deflate_pays(const void *data, int64_t count, size_t elem);

#endif
