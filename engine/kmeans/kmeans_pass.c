/* The blocked, thread-count-independent assignment pass that every k-means
 * algorithm builds on, and the ordered reduction of its partial sums. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "kmeans/kmeans_internal.h"

/* Largest scratch a single kernel call may ask for: the BLAS variant keeps a
 * points x centroids distance tile there, which for a full block and k = 1024
 * would be 16 MiB per thread. Smaller calls give the same labels. */
enum { KERNEL_WORK_LIMIT = 1 << 20, MIN_SUB_BLOCK = 64 };

/* Partial sums kept in memory at once, across all blocks of a round. */
enum { ROUND_BUDGET_MAX = 8 << 20, ROUND_BUDGET_MIN = 1 << 20 };

static void *alloc_aligned(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  return aligned_alloc(64, rounded ? rounded : 64);
}

pe_status pe__kmeans_scratch_alloc(const pe__kmeans_data *data, int k, pe__kmeans_scratch **out) {
  *out = NULL;
  pe__kmeans_scratch *s = calloc((size_t)data->threads, sizeof *s);
  PE_FAIL_IF(!s, PE_ERR_NOMEM, "k-means: out of memory for thread scratch");
  int64_t sub = PE_KMEANS_BLOCK;
  while (sub > MIN_SUB_BLOCK &&
         data->kernel->assign_work_bytes(sub, data->d, k) > KERNEL_WORK_LIMIT)
    sub /= 2;
  size_t work = data->kernel->assign_work_bytes(sub, data->d, k);
  int ok = 1;
  for (int t = 0; t < data->threads; t++) {
    s[t].sub = sub;
    s[t].labels = malloc(PE_KMEANS_BLOCK * sizeof(int32_t));
    s[t].dist = malloc(PE_KMEANS_BLOCK * sizeof(float));
    s[t].dist2 = malloc(PE_KMEANS_BLOCK * sizeof(float));
    s[t].work = alloc_aligned(work);
    s[t].moved_at = malloc(PE_KMEANS_BLOCK * sizeof(int32_t));
    s[t].moved_old = malloc(PE_KMEANS_BLOCK * sizeof(int32_t));
    ok = ok && s[t].labels && s[t].dist && s[t].dist2 && s[t].work && s[t].moved_at &&
         s[t].moved_old;
  }
  if (!ok) {
    pe__kmeans_scratch_free(data, s);
    return pe__fail(PE_ERR_NOMEM, "k-means: out of memory for thread scratch");
  }
  *out = s;
  return PE_OK;
}

void pe__kmeans_scratch_free(const pe__kmeans_data *data, pe__kmeans_scratch *s) {
  if (!s) return;
  for (int t = 0; t < data->threads; t++) {
    free(s[t].labels);
    free(s[t].dist);
    free(s[t].dist2);
    free(s[t].work);
    free(s[t].moved_at);
    free(s[t].moved_old);
  }
  free(s);
}

static void assign_block(const pe__kmeans_data *data, int64_t begin, int64_t end, const float *c,
                         const float *c_norms, int k, pe__kmeans_scratch *s, int second) {
  const int d = data->d;
  for (int64_t i = begin; i < end; i += s->sub) {
    int64_t m = end - i < s->sub ? end - i : s->sub;
    data->kernel->assign(data->x + (size_t)i * d, m, d, c, c_norms, k, s->labels + (i - begin),
                         s->dist + (i - begin), second ? s->dist2 + (i - begin) : NULL, s->work);
  }
}

void pe__kmeans_assign_block(const pe__kmeans_data *data, int64_t begin, int64_t end,
                             const float *c, const float *c_norms, int k, pe__kmeans_scratch *s) {
  assign_block(data, begin, end, c, c_norms, k, s, 0);
}

void pe__kmeans_assign_block2(const pe__kmeans_data *data, int64_t begin, int64_t end,
                              const float *c, const float *c_norms, int k, pe__kmeans_scratch *s) {
  assign_block(data, begin, end, c, c_norms, k, s, 1);
}

/* Below this many additions a fold runs on the calling thread: waking the
 * team would cost more than the work, and on a busy machine every wake-up
 * can wait for a time slice. */
enum { PARALLEL_FOLD_MIN = 1 << 20 };

void pe__kmeans_fold(double *acc, const double *parts, int64_t nparts, int64_t len, int threads) {
  if (nparts * len < PARALLEL_FOLD_MIN) threads = 1;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t e = 0; e < len; e++) {
    double a = acc[e];
    for (int64_t p = 0; p < nparts; p++) a += parts[p * len + e];
    acc[e] = a;
  }
}

/* Blocks per round: as many partials as fit the budget, at least one per
 * thread. Only memory and scheduling depend on it, never the result. The
 * budget is 1/64 of the data (1 to 8 MiB): at 1/16 the partials of
 * (1e6, 32, 256) added 8 MB, 6% of the data, to the peak; at 1/64 the rounds
 * are more but no slower (2e5 x 128, K = 1024: 111.2-113.8 ms per iteration
 * against 110.8-118.1). */
static int64_t round_blocks(const pe__kmeans_data *data, size_t slot_bytes) {
  size_t data_bytes = (size_t)data->n * (size_t)data->d * sizeof(float);
  size_t budget = data_bytes / 64;
  if (budget > ROUND_BUDGET_MAX) budget = ROUND_BUDGET_MAX;
  if (budget < ROUND_BUDGET_MIN) budget = ROUND_BUDGET_MIN;
  int64_t r = (int64_t)(budget / slot_bytes);
  if (r < data->threads) r = data->threads;
  if (r > data->nblocks) r = data->nblocks;
  return r < 1 ? 1 : r;
}

/* The exact inertia of a block, from the kernel's slot: every variant
 * gives the bits of the one definition (pe_kernels.h), so the inertia does
 * not depend on the kernel either. */
static double block_exact_inertia(const pe__kmeans_data *data, int64_t begin, int64_t end,
                                  const float *c, const int32_t *labels) {
  const int d = data->d;
  return data->kernel->exact_inertia(data->x + (size_t)begin * d, end - begin, d, c, labels + begin,
                                     data->w ? data->w + begin : NULL);
}

/* Moves the block's changed points from their previous cluster to the new one
 * in sums/counts (in double): weight +w added under the new label for each
 * point in point order, then -w under the old label in point order. In
 * place: the earlier version copied the rows out for the kernels' accumulate
 * and cost twice as much where many points move. */
static void accumulate_moved(const pe__kmeans_data *data, int64_t begin, const int32_t *labels,
                             int nm, const pe__kmeans_scratch *s, double *sums, double *counts) {
  const int d = data->d;
  for (int sign = 1; sign >= -1; sign -= 2)
    for (int j = 0; j < nm; j++) {
      int64_t i = begin + s->moved_at[j];
      int32_t l = sign > 0 ? labels[i] : s->moved_old[j];
      double w = (double)(data->w ? data->w[i] : 1.0f) * sign;
      const float *xi = data->x + (size_t)i * d;
      double *row = sums + (size_t)l * d;
      for (int t = 0; t < d; t++) row[t] += w * (double)xi[t];
      counts[l] += w;
    }
}

/* Lists, in order of first touch, the clusters the block's moved points
 * leave or join, and zeroes their rows (sums and count) in the block's slot:
 * the only rows accumulate_moved writes. Zeroing and folding every row of a
 * k x d slot cost more than the update itself once few points move (k = 1024,
 * d = 128: a megabyte per block). `listed` (k flags, all 0) is left all 0.
 * Returns how many clusters were listed. */
static int list_touched(const pe__kmeans_data *data, int64_t begin, const int32_t *labels, int nm,
                        const pe__kmeans_scratch *s, uint8_t *listed, int32_t *list, double *sums,
                        double *counts) {
  const int d = data->d;
  int nt = 0;
  for (int j = 0; j < nm; j++) {
    int32_t both[2] = {labels[begin + s->moved_at[j]], s->moved_old[j]};
    for (int e = 0; e < 2; e++) {
      int32_t l = both[e];
      if (listed[l]) continue;
      listed[l] = 1;
      list[nt++] = l;
      memset(sums + (size_t)l * d, 0, (size_t)d * sizeof(double));
      counts[l] = 0.0;
    }
  }
  for (int t = 0; t < nt; t++) listed[list[t]] = 0;
  return nt;
}

/* The incremental pass's fold: block by block in block order, the listed rows
 * of each slot (and its inertia) added onto acc. Per element that is the
 * order pe__kmeans_fold adds in, less the rows a block left at zero. */
static void fold_touched(double *acc, const double *slots, int64_t nparts, int64_t slot_len, int d,
                         int k, const int32_t *touched, const int32_t *ntouched) {
  const int64_t sums_len = (int64_t)k * d;
  for (int64_t p = 0; p < nparts; p++) {
    const double *slot = slots + p * slot_len;
    const int32_t *list = touched + p * k;
    for (int t = 0; t < ntouched[p]; t++) {
      int64_t row = (int64_t)list[t] * d;
      for (int e = 0; e < d; e++) acc[row + e] += slot[row + e];
      acc[sums_len + list[t]] += slot[sums_len + list[t]];
    }
    acc[slot_len - 1] += slot[slot_len - 1];
  }
}

pe_status pe__kmeans_assign_pass(const pe__kmeans_data *data, const float *c, int k,
                                 pe__kmeans_scratch *scratch, int32_t *labels, float *dist,
                                 pe__kmeans_pass_out *out) {
  const int d = data->d;
  const int want_sums = out && out->sums;
  const int exact_inertia = out && out->exact_inertia;
  const int want_inertia = out && out->want_inertia && !exact_inertia;
  const int incremental = want_sums && out->incremental;
  /* A slot holds one block's partial: sums (k x d), counts (k), inertia (1). */
  const int64_t sums_len = want_sums ? (int64_t)k * d : 0;
  const int64_t slot_len = sums_len + (want_sums ? k : 0) + 1;
  const int64_t per_round = round_blocks(data, (size_t)slot_len * sizeof(double));
  float *c_norms = malloc((size_t)k * sizeof(float));
  double *slots = malloc((size_t)(per_round * slot_len) * sizeof(double));
  double *acc = calloc((size_t)slot_len, sizeof(double));
  /* Incremental passes: the clusters each block's moved points touch (its
   * slot holds only their rows) and, per thread, which are listed. */
  int32_t *touched = incremental ? malloc((size_t)(per_round * k) * sizeof(int32_t)) : NULL;
  int32_t *ntouched = incremental ? malloc((size_t)per_round * sizeof(int32_t)) : NULL;
  uint8_t *listed = incremental ? calloc((size_t)data->threads * k, 1) : NULL;
  if (!c_norms || !slots || !acc || (incremental && (!touched || !ntouched || !listed))) {
    free(c_norms);
    free(slots);
    free(acc);
    free(touched);
    free(ntouched);
    free(listed);
    return pe__fail(PE_ERR_NOMEM, "k-means: out of memory for partial sums");
  }
  pe_kernel_sq_norms(c, k, d, c_norms);
  if (incremental) {
    memcpy(acc, out->sums, (size_t)sums_len * sizeof(double));
    memcpy(acc + sums_len, out->counts, (size_t)k * sizeof(double));
  }
  const pe_kernel_table *kt = data->kernel;
  int64_t moved = 0;

  /* One fork and one join per round; the fold between rounds is the only
   * place partials meet, always in block order. */
  for (int64_t r0 = 0; r0 < data->nblocks; r0 += per_round) {
    int64_t r1 = r0 + per_round < data->nblocks ? r0 + per_round : data->nblocks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads) reduction(+ : moved)
    for (int64_t b = r0; b < r1; b++) {
      pe__kmeans_scratch *s = &scratch[omp_get_thread_num()];
      int64_t begin = b * PE_KMEANS_BLOCK, end = pe__kmeans_block_end(data, b);
      pe__kmeans_assign_block(data, begin, end, c, c_norms, k, s);
      int nm = 0;
      if (incremental) {
        /* The changed points, then only their labels rewritten: after the
         * first iterations few change, and the block's labels stay as they
         * are in memory. */
        nm = (int)kt->label_diff(labels + begin, s->labels, end - begin, s->moved_at, s->moved_old);
        for (int j = 0; j < nm; j++) labels[begin + s->moved_at[j]] = s->labels[s->moved_at[j]];
      } else {
        /* Only the count of changes is needed (a loop the compiler
         * vectorises), and not even that in the final pass; labels not set
         * yet are not read: 4 MB less traffic per pass at N = 1e6. */
        if (out && out->labels_unset)
          nm = (int)(end - begin);
        else if (out && !exact_inertia)
          for (int64_t i = begin; i < end; i++) nm += labels[i] != s->labels[i - begin];
        memcpy(labels + begin, s->labels, (size_t)(end - begin) * sizeof(int32_t));
      }
      /* Four interleaved sums break the add latency chain; they are
       * combined in a fixed order, so the result is still thread-free. */
      double part[4] = {0.0, 0.0, 0.0, 0.0};
      if (want_inertia)
        for (int64_t i = begin; i < end; i++) {
          float dd = s->dist[i - begin];
          part[(i - begin) & 3] += data->w ? (double)data->w[i] * dd : (double)dd;
        }
      if (dist) memcpy(dist + begin, s->dist, (size_t)(end - begin) * sizeof(float));
      moved += nm;
      double *slot = slots + (b - r0) * slot_len;
      if (incremental) {
        ntouched[b - r0] =
            list_touched(data, begin, labels, nm, s, listed + (size_t)omp_get_thread_num() * k,
                         touched + (b - r0) * k, slot, slot + sums_len);
        accumulate_moved(data, begin, labels, nm, s, slot, slot + sums_len);
      } else if (want_sums) {
        memset(slot, 0, (size_t)(slot_len - 1) * sizeof(double));
        kt->accumulate(data->x + (size_t)begin * d, end - begin, d, labels + begin,
                       data->w ? data->w + begin : NULL, k, slot, slot + sums_len);
      }
      slot[slot_len - 1] = exact_inertia ? block_exact_inertia(data, begin, end, c, labels)
                                         : (part[0] + part[1]) + (part[2] + part[3]);
    }
    if (incremental)
      fold_touched(acc, slots, r1 - r0, slot_len, d, k, touched, ntouched);
    else
      pe__kmeans_fold(acc, slots, r1 - r0, slot_len, data->threads);
  }

  if (out) {
    if (want_sums) {
      memcpy(out->sums, acc, (size_t)sums_len * sizeof(double));
      memcpy(out->counts, acc + sums_len, (size_t)k * sizeof(double));
    }
    out->inertia = acc[slot_len - 1];
    out->moved = moved;
  }
  free(c_norms);
  free(slots);
  free(acc);
  free(touched);
  free(ntouched);
  free(listed);
  return PE_OK;
}

double pe__kmeans_exact_inertia(const pe__kmeans_data *data, const float *c,
                                const int32_t *labels) {
  double *part = malloc((size_t)data->nblocks * sizeof(double));
  if (!part) return -1.0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads)
  for (int64_t b = 0; b < data->nblocks; b++)
    part[b] =
        block_exact_inertia(data, b * PE_KMEANS_BLOCK, pe__kmeans_block_end(data, b), c, labels);
  double total = 0.0;
  for (int64_t b = 0; b < data->nblocks; b++) total += part[b];
  free(part);
  return total;
}

void pe__kmeans_assigned_distances(const pe__kmeans_data *data, const float *c,
                                   const int32_t *labels, float *dist) {
  const int d = data->d;
#pragma omp parallel for schedule(static) num_threads(data->threads)
  for (int64_t i = 0; i < data->n; i++)
    dist[i] = (float)pe_kernel_exact_sq_dist(data->x + (size_t)i * d, c + (size_t)labels[i] * d, d);
}

double pe__kmeans_mean_variance(const pe__kmeans_data *data) {
  const int d = data->d;
  double *part = malloc((size_t)data->nblocks * d * sizeof(double));
  double *mean = calloc((size_t)d, sizeof(double));
  double *var = calloc((size_t)d, sizeof(double));
  double result = -1.0;
  if (!part || !mean || !var) goto done;
  for (int pass = 0; pass < 2; pass++) {
    double *acc = pass == 0 ? mean : var;
    /* Column sums in row order, into a local array of up to 64 columns at
     * a time (so that the column loop vectorises and the sums stay in L1)
     * and with one loop per pass: the same sums, 27 -> 11 ms of CPU for
     * 1M x 15 points. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads)
    for (int64_t b = 0; b < data->nblocks; b++) {
      double *p = part + b * d;
      const int64_t begin = b * PE_KMEANS_BLOCK, end = pe__kmeans_block_end(data, b);
      for (int t0 = 0; t0 < d; t0 += 64) {
        const int w = d - t0 < 64 ? d - t0 : 64;
        double col[64] = {0}, m[64];
        for (int t = 0; t < w; t++) m[t] = mean[t0 + t];
        if (pass == 0) {
          for (int64_t i = begin; i < end; i++) {
            const float *xi = data->x + (size_t)i * d + t0;
            for (int t = 0; t < w; t++) col[t] += (double)xi[t];
          }
        } else {
          for (int64_t i = begin; i < end; i++) {
            const float *xi = data->x + (size_t)i * d + t0;
            for (int t = 0; t < w; t++) {
              const double v = (double)xi[t] - m[t];
              col[t] += v * v;
            }
          }
        }
        memcpy(p + t0, col, (size_t)w * sizeof(double));
      }
    }
    pe__kmeans_fold(acc, part, data->nblocks, d, data->threads);
    for (int t = 0; t < d; t++) acc[t] /= (double)data->n;
  }
  result = 0.0;
  for (int t = 0; t < d; t++) result += var[t];
  result /= d;
done:
  free(part);
  free(mean);
  free(var);
  return result;
}

int64_t pe__kmeans_first_nonfinite(const float *x, int64_t n, int d, int *column) {
  int64_t first = INT64_MAX;
  int64_t nb = (n + PE_KMEANS_BLOCK - 1) / PE_KMEANS_BLOCK;
  /* Each block finds its first bad value; the lowest one over blocks wins.
   * A block is scanned in runs whose test has no early exit, so that it
   * vectorises; only a run with a bad value is searched element by element.
   * (v - v is 0 for finite v and NaN for NaN and +-Inf.) */
  enum { RUN = 256 };
#pragma omp parallel for schedule(dynamic, 1) reduction(min : first)
  for (int64_t b = 0; b < nb; b++) {
    const int64_t end = ((b + 1) * PE_KMEANS_BLOCK < n ? (b + 1) * PE_KMEANS_BLOCK : n) * d;
    for (int64_t e0 = b * PE_KMEANS_BLOCK * d; e0 < end; e0 += RUN) {
      const int64_t e1 = e0 + RUN < end ? e0 + RUN : end;
      int bad = 0;
      for (int64_t e = e0; e < e1; e++) bad |= !(x[e] - x[e] == 0.0f);
      if (!bad) continue;
      int64_t e = e0;
      while (x[e] - x[e] == 0.0f) e++;
      if (e < first) first = e;
      break;
    }
  }
  if (first == INT64_MAX) return -1;
  if (column) *column = (int)(first % d);
  return first / d;
}
