/* Initial centroids: greedy k-means++ and uniform random points.
 *
 * Both draw from one explicit RNG stream and do their parallel work in fixed
 * blocks whose partial sums are folded in block order, so the chosen points
 * depend only on (data, k, seed, stream), never on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "kmeans/kmeans_internal.h"

/* The sampling weight of point i: w_i * mind_i (k-means++ "D^2" weighting),
 * or just w_i when mind is NULL. */
/* 2 + floor(ln k) for any int k is at most 23. */
enum { MAX_TRIALS = 32 };

static double sample_value(const pe__kmeans_data *data, const float *mind, int64_t i) {
  double w = data->w ? (double)data->w[i] : 1.0;
  return mind ? w * (double)mind[i] : w;
}

/* Index i with probability sample_value(i) / total, by inverse transform of
 * u in [0, total): blocks first (through their sums bsum, in block order),
 * then points within the block. Rounding can leave u just past the end; the
 * last point with a positive value is taken then. */
static int64_t sample_index(const pe__kmeans_data *data, const float *mind, const double *bsum,
                            double u) {
  double before = 0.0;
  int64_t b = 0, last_positive = -1;
  for (; b < data->nblocks; b++) {
    if (bsum[b] > 0.0) {
      last_positive = b;
      if (before + bsum[b] > u) break;
    }
    before += bsum[b];
  }
  if (b == data->nblocks) {
    if (last_positive < 0) return 0;
    b = last_positive;
    u = INFINITY;
  }
  int64_t pick = -1;
  double acc = before;
  for (int64_t i = b * PE_KMEANS_BLOCK; i < pe__kmeans_block_end(data, b); i++) {
    double v = sample_value(data, mind, i);
    if (v > 0.0) {
      pick = i;
      acc += v;
      if (acc > u) break;
    }
  }
  return pick < 0 ? b * PE_KMEANS_BLOCK : pick;
}

static void block_weight_sums(const pe__kmeans_data *data, double *bsum) {
#pragma omp parallel for schedule(static) num_threads(data->threads)
  for (int64_t b = 0; b < data->nblocks; b++) {
    double s = 0.0;
    for (int64_t i = b * PE_KMEANS_BLOCK; i < pe__kmeans_block_end(data, b); i++)
      s += sample_value(data, NULL, i);
    bsum[b] = s;
  }
}

static double fold_in_order(const double *parts, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; i++) s += parts[i];
  return s;
}

/* mind <- min(mind, ||x - c||^2) (or the distance itself when `first`), and
 * bsum[b] <- sum over block b of w * mind. */
static void update_min_dist(const pe__kmeans_data *data, const float *c, int first, float *mind,
                            double *bsum, pe__kmeans_scratch *scratch) {
  float c_norm;
  pe_kernel_sq_norms(c, 1, data->d, &c_norm);
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads)
  for (int64_t b = 0; b < data->nblocks; b++) {
    pe__kmeans_scratch *s = &scratch[omp_get_thread_num()];
    int64_t begin = b * PE_KMEANS_BLOCK, end = pe__kmeans_block_end(data, b);
    pe__kmeans_assign_block(data, begin, end, c, &c_norm, 1, s);
    double sum = 0.0;
    for (int64_t i = begin; i < end; i++) {
      float dd = s->dist[i - begin];
      if (first || dd < mind[i]) mind[i] = dd;
      sum += sample_value(data, mind, i);
    }
    bsum[b] = sum;
  }
}

/* What the candidate pass learnt about point i, for the update once the best
 * candidate is known: no candidate is nearer than mind_i (NEAREST_NONE), at
 * most candidate l is (l >= 0, at distance near_dist_i), or several may be
 * (NEAREST_MANY: the distance is recomputed exactly). */
enum { NEAREST_NONE = -1, NEAREST_MANY = -2 };

/* Per-thread buffers for the points of a block where several candidates
 * compete: their rows are gathered so that the kernel sees them in a few
 * calls per candidate instead of one call per point. */
enum { GATHER = 256 };
typedef struct {
  int32_t *many; /* offsets in the block of the competing points, in point order */
  float *rows;   /* gathered rows, GATHER x d */
  float *dist;   /* ncand x PE_KMEANS_BLOCK: distances of the competing points */
  int32_t labels[GATHER];
} gather_scratch;

static void gather_free(gather_scratch *g, int threads) {
  if (!g) return;
  for (int t = 0; t < threads; t++) {
    free(g[t].many);
    free(g[t].rows);
    free(g[t].dist);
  }
  free(g);
}

static gather_scratch *gather_alloc(int threads, int d, int ncand) {
  gather_scratch *g = calloc((size_t)threads, sizeof *g);
  int ok = g != NULL;
  for (int t = 0; ok && t < threads; t++) {
    g[t].many = malloc(PE_KMEANS_BLOCK * sizeof(int32_t));
    g[t].rows = malloc((size_t)GATHER * d * sizeof(float));
    g[t].dist = malloc((size_t)ncand * PE_KMEANS_BLOCK * sizeof(float));
    ok = g[t].many && g[t].rows && g[t].dist;
  }
  if (!ok) {
    gather_free(g, threads);
    return NULL;
  }
  return g;
}

/* g->dist[l * B + j] <- ||x_(begin + many[j]) - c_l||^2 for j < count.
 * The chunks are the same for every call with the same list, so a point's
 * distance to a centre is the same in the candidate pass and the update. */
static void competing_dists(const pe__kmeans_data *data, int64_t begin, int count, const float *c,
                            const float *c_norms, int nc, gather_scratch *g,
                            const pe__kmeans_scratch *s) {
  const int d = data->d;
  const int chunk = s->sub < GATHER ? (int)s->sub : GATHER;
  for (int j0 = 0; j0 < count; j0 += chunk) {
    int m = count - j0 < chunk ? count - j0 : chunk;
    for (int j = 0; j < m; j++)
      memcpy(g->rows + (size_t)j * d, data->x + (size_t)(begin + g->many[j0 + j]) * d,
             (size_t)d * sizeof(float));
    for (int l = 0; l < nc; l++)
      data->kernel->assign(g->rows, m, d, c + (size_t)l * d, &c_norms[l], 1, g->labels,
                           g->dist + (size_t)l * PE_KMEANS_BLOCK + j0, NULL, s->work);
  }
}

/* part[l * nblocks + b] <- sum over block b of w * min(mind, ||x - cand_l||^2).
 *
 * One kernel call ranks all candidates at once: a point whose second-nearest
 * candidate is no nearer than mind can only be improved by its nearest one,
 * so only points where two or more candidates beat mind need per-candidate
 * distances. */
static void candidate_potentials(const pe__kmeans_data *data, const float *cand,
                                 const float *cand_norms, int ncand, const float *mind,
                                 int32_t *nearest, float *near_dist, double *part,
                                 pe__kmeans_scratch *scratch, gather_scratch *gather) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads)
  for (int64_t b = 0; b < data->nblocks; b++) {
    pe__kmeans_scratch *s = &scratch[omp_get_thread_num()];
    gather_scratch *g = &gather[omp_get_thread_num()];
    int64_t begin = b * PE_KMEANS_BLOCK, end = pe__kmeans_block_end(data, b);
    pe__kmeans_assign_block2(data, begin, end, cand, cand_norms, ncand, s);
    /* Potential of candidate l over the block = common + delta[l]: every
     * point adds w * mind to all candidates alike, and only a candidate
     * nearer than mind adds its (negative) improvement. Fixed order within
     * the block, so still independent of the thread count. */
    double common = 0.0, delta[MAX_TRIALS] = {0};
    int count = 0;
    for (int64_t i = begin; i < end; i++) {
      float m = mind[i], a = s->dist[i - begin], second = s->dist2[i - begin];
      double w = data->w ? (double)data->w[i] : 1.0;
      if (!(a < m)) {
        nearest[i] = NEAREST_NONE;
        common += w * (double)m;
      } else if (!(second < m)) {
        int32_t l1 = s->labels[i - begin];
        nearest[i] = l1;
        near_dist[i] = a;
        common += w * (double)m;
        delta[l1] += w * ((double)a - (double)m);
      } else {
        nearest[i] = NEAREST_MANY;
        g->many[count++] = (int32_t)(i - begin);
      }
    }
    competing_dists(data, begin, count, cand, cand_norms, ncand, g, s);
    for (int j = 0; j < count; j++) {
      int64_t i = begin + g->many[j];
      float m = mind[i];
      double w = data->w ? (double)data->w[i] : 1.0;
      common += w * (double)m;
      for (int l = 0; l < ncand; l++) {
        float dl = g->dist[(size_t)l * PE_KMEANS_BLOCK + j];
        if (dl < m) delta[l] += w * ((double)dl - (double)m);
      }
    }
    double sum[MAX_TRIALS];
    for (int l = 0; l < ncand; l++) sum[l] = common + delta[l];
    for (int l = 0; l < ncand; l++) part[l * data->nblocks + b] = sum[l];
  }
}

/* mind <- min(mind, ||x - best||^2) from what candidate_potentials learnt
 * (the same distances it used), and bsum[b] <- sum over block b of w * mind. */
static void apply_choice(const pe__kmeans_data *data, int best, const float *c, float c_norm,
                         float *mind, const int32_t *nearest, const float *near_dist, double *bsum,
                         pe__kmeans_scratch *scratch, gather_scratch *gather) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->threads)
  for (int64_t b = 0; b < data->nblocks; b++) {
    pe__kmeans_scratch *s = &scratch[omp_get_thread_num()];
    gather_scratch *g = &gather[omp_get_thread_num()];
    int64_t begin = b * PE_KMEANS_BLOCK, end = pe__kmeans_block_end(data, b);
    int count = 0;
    for (int64_t i = begin; i < end; i++)
      if (nearest[i] == NEAREST_MANY) g->many[count++] = (int32_t)(i - begin);
    competing_dists(data, begin, count, c, &c_norm, 1, g, s);
    double sum = 0.0;
    int j = 0;
    for (int64_t i = begin; i < end; i++) {
      if (nearest[i] == best) {
        if (near_dist[i] < mind[i]) mind[i] = near_dist[i];
      } else if (nearest[i] == NEAREST_MANY) {
        float dd = g->dist[j++];
        if (dd < mind[i]) mind[i] = dd;
      }
      sum += sample_value(data, mind, i);
    }
    bsum[b] = sum;
  }
}

pe_status pe__kmeans_init_kmeanspp(const pe__kmeans_data *data, int k, uint64_t seed,
                                   uint64_t stream, int32_t *nearest, float *centers) {
  const int d = data->d;
  const int64_t nb = data->nblocks;
  /* scikit-learn's number of local trials. */
  const int trials = 2 + (int)log((double)k);
  PE_FAIL_IF(trials > MAX_TRIALS, PE_ERR_USAGE, "k-means++: k = %d is too large", k);
  pe_rng rng;
  pe_rng_init(&rng, seed, stream);
  double *bsum = malloc((size_t)nb * sizeof(double));
  double *part = malloc((size_t)trials * nb * sizeof(double));
  float *cand = malloc((size_t)trials * d * sizeof(float));
  float *cand_norms = malloc((size_t)trials * sizeof(float));
  /* Each point's distance to its nearest chosen centre, and to the nearest
   * candidate of the current step. */
  float *mind = malloc((size_t)data->n * sizeof(float));
  float *near_dist = malloc((size_t)data->n * sizeof(float));
  gather_scratch *gather = gather_alloc(data->threads, d, trials);
  pe__kmeans_scratch *scratch = NULL;
  pe_status st = PE_OK;
  if (!bsum || !part || !cand || !cand_norms || !mind || !near_dist || !gather) {
    st = pe__fail(PE_ERR_NOMEM, "k-means++: out of memory (%lld points)", (long long)data->n);
    goto done;
  }
  PE_CHECK_GOTO(pe__kmeans_scratch_alloc(data, trials, &scratch), st, done);

  block_weight_sums(data, bsum);
  double total_weight = fold_in_order(bsum, nb);
  int64_t first = sample_index(data, NULL, bsum, pe_rng_uniform(&rng) * total_weight);
  memcpy(centers, data->x + (size_t)first * d, (size_t)d * sizeof(float));
  update_min_dist(data, centers, 1, mind, bsum, scratch);
  double pot = fold_in_order(bsum, nb);

  for (int c = 1; c < k; c++) {
    double u[MAX_TRIALS];
    for (int l = 0; l < trials; l++) u[l] = pe_rng_uniform(&rng);
    /* Every point already coincides with a centre (fewer distinct points than
     * k): draw by weight alone, so the result stays defined. */
    const float *by = pot > 0.0 ? mind : NULL;
    double total = pot > 0.0 ? pot : total_weight;
    if (!by) block_weight_sums(data, bsum);
    for (int l = 0; l < trials; l++) {
      int64_t id = sample_index(data, by, bsum, u[l] * total);
      memcpy(cand + (size_t)l * d, data->x + (size_t)id * d, (size_t)d * sizeof(float));
    }
    pe_kernel_sq_norms(cand, trials, d, cand_norms);
    candidate_potentials(data, cand, cand_norms, trials, mind, nearest, near_dist, part, scratch,
                         gather);
    int best = 0;
    double best_pot = INFINITY;
    for (int l = 0; l < trials; l++) {
      double p = fold_in_order(part + (size_t)l * nb, nb);
      if (p < best_pot) {
        best_pot = p;
        best = l;
      }
    }
    float *cc = centers + (size_t)c * d;
    memcpy(cc, cand + (size_t)best * d, (size_t)d * sizeof(float));
    apply_choice(data, best, cc, cand_norms[best], mind, nearest, near_dist, bsum, scratch, gather);
    pot = fold_in_order(bsum, nb);
  }
done:
  pe__kmeans_scratch_free(data, scratch);
  free(bsum);
  free(part);
  free(cand);
  free(cand_norms);
  free(mind);
  free(near_dist);
  gather_free(gather, data->threads);
  return st;
}

/* Open-addressing set of point indices (Floyd's sampling needs membership). */
typedef struct {
  int64_t *slots;
  uint64_t mask;
} index_set;

static int index_set_insert(index_set *s, int64_t v) {
  uint64_t h = (uint64_t)v * 0x9E3779B97F4A7C15ull;
  for (uint64_t i = h >> 20;; i++) {
    int64_t *slot = &s->slots[i & s->mask];
    if (*slot == v) return 0;
    if (*slot < 0) {
      *slot = v;
      return 1;
    }
  }
}

pe_status pe__kmeans_init_random(const pe__kmeans_data *data, int k, uint64_t seed, uint64_t stream,
                                 float *centers) {
  pe_rng rng;
  pe_rng_init(&rng, seed, stream);
  uint64_t cap = 16;
  while (cap < 2 * (uint64_t)k) cap *= 2;
  index_set set = {malloc(cap * sizeof(int64_t)), cap - 1};
  PE_FAIL_IF(!set.slots, PE_ERR_NOMEM, "k-means: out of memory for random init");
  memset(set.slots, 0xff, cap * sizeof(int64_t));
  /* Floyd's algorithm: k distinct indices of [0, n) in k draws. */
  int c = 0;
  for (int64_t j = data->n - k; j < data->n; j++) {
    int64_t t = (int64_t)pe_rng_below(&rng, (uint64_t)j + 1);
    int64_t pick = t;
    if (!index_set_insert(&set, t)) {
      pick = j; /* j is new: every earlier draw was below j */
      index_set_insert(&set, j);
    }
    memcpy(centers + (size_t)c++ * data->d, data->x + (size_t)pick * data->d,
           (size_t)data->d * sizeof(float));
  }
  free(set.slots);
  return PE_OK;
}
