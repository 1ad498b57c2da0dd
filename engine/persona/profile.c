/* Group profiles: per cluster and for all customers, the mean of every
 * feature over the customers for whom it is defined (its population). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "persona/persona_internal.h"

static const pe__population populations[PE_FEATURE_COUNT] = {
    [PE_FEAT_RECENCY_DAYS] = PE__POP_BUYERS,
    [PE_FEAT_FREQUENCY] = PE__POP_ALL,
    [PE_FEAT_MONETARY] = PE__POP_ALL,
    [PE_FEAT_AOV] = PE__POP_BUYERS,
    [PE_FEAT_TENURE_DAYS] = PE__POP_BUYERS,
    [PE_FEAT_DISCOUNT_SHARE] = PE__POP_BUYERS,
    [PE_FEAT_RETURN_RATE] = PE__POP_BUYERS,
    [PE_FEAT_CATEGORIES] = PE__POP_BUYERS,
    [PE_FEAT_HOLIDAY_SHARE] = PE__POP_BUYERS,
    [PE_FEAT_SESSIONS] = PE__POP_ALL,
    [PE_FEAT_PAGES_PER_SESSION] = PE__POP_SESSIONS,
    [PE_FEAT_BOUNCE_RATE] = PE__POP_SESSIONS,
    [PE_FEAT_CART_ADDS] = PE__POP_SESSIONS,
    [PE_FEAT_CART_ABANDONMENT] = PE__POP_CARTERS,
    [PE_FEAT_TIME_TO_PURCHASE_S] = PE__POP_SESSION_BUYERS,
};

pe__population pe__feature_population(pe_feature f) {
  return populations[f];
}

/* Profiles compare groups on the log scale for every count, amount and
 * duration: "3x as recent" reads better than a difference of days. The
 * clustering transform keeps recency and tenure linear (they are bounded by
 * the period), but for describing a group the ratio is what marketing reads. */
static const int log1p_features[PE_FEATURE_COUNT] = {
#define PE__FEATURE_LOG(name, key, scaling, needs_sessions, missing, evidence, text) \
  [name] = scaling == PE_SCALE_LOG1P || name == PE_FEAT_RECENCY_DAYS || name == PE_FEAT_TENURE_DAYS,
    PE_FEATURE_MAP(PE__FEATURE_LOG)
#undef PE__FEATURE_LOG
};
static const char *const feature_keys[PE_FEATURE_COUNT] = {
#define PE__FEATURE_KEY(name, key, scaling, needs_sessions, missing, evidence, text) [name] = key,
    PE_FEATURE_MAP(PE__FEATURE_KEY)
#undef PE__FEATURE_KEY
};
static const char *const feature_texts[PE_FEATURE_COUNT] = {
#define PE__FEATURE_TEXT(name, key, scaling, needs_sessions, missing, evidence, text) [name] = text,
    PE_FEATURE_MAP(PE__FEATURE_TEXT)
#undef PE__FEATURE_TEXT
};

int pe__feature_is_log1p(pe_feature f) {
  return log1p_features[f];
}
const char *pe__feature_key(pe_feature f) {
  return feature_keys[f];
}
const char *pe__feature_text(pe_feature f) {
  return feature_texts[f];
}

double pe__profile_typical(const pe__profile *p, pe_feature f) {
  return log1p_features[f] ? expm1(p->tmean[f]) : p->tmean[f];
}

double pe__profile_buyer_share(const pe__profile *p) {
  return p->customers > 0 ? (double)p->buyers / (double)p->customers : 0.0;
}

/* Rows per block of the parallel pass; fixed so that partial sums, combined
 * in block order, give the same totals for any thread count. */
enum { PROFILE_BLOCK = 32768 };
/* Rows whose values of one feature are gathered and transformed together,
 * in a vector loop. */
enum { BATCH_ROWS = 512 };

/* glibc's vector log1pf (libmvec, through libm): a loop under `omp simd`
 * calls it four or eight values at a time instead of once per value.
 * Within 4 ulp; single precision is plenty for a mean of logs. */
#pragma omp declare simd notinbranch
float log1pf(float);

typedef struct {
  int64_t customers, buyers, with_sessions;
  double revenue, orders;
  int64_t pop[PE_FEATURE_COUNT];
  double sum[PE_FEATURE_COUNT], tsum[PE_FEATURE_COUNT], tsum2[PE_FEATURE_COUNT];
} accumulator;

/* Adds rows [begin, end) into their clusters' accumulators acc[0..k-1]. */
static void accumulate_block(const pe_persona_input *in, const int *col_of, int64_t begin,
                             int64_t end, accumulator *acc) {
  const int d = in->d;
  const int fcol = col_of[PE_FEAT_FREQUENCY], scol = col_of[PE_FEAT_SESSIONS];
  const int ccol = col_of[PE_FEAT_CART_ADDS], mcol = col_of[PE_FEAT_MONETARY];
  uint8_t member[BATCH_ROWS]; /* bit p: the row is in population p */
  float x[BATCH_ROWS], t[BATCH_ROWS];
  for (int64_t first = begin; first < end; first += BATCH_ROWS) {
    const int rows = end - first < BATCH_ROWS ? (int)(end - first) : BATCH_ROWS;
    const int32_t *label = in->labels + first;
    for (int i = 0; i < rows; i++) {
      const float *row = in->raw + (first + i) * d;
      const int buyer = fcol < 0 || row[fcol] >= 1.0f;
      const int sessions = scol >= 0 && row[scol] >= 1.0f;
      const int carter = sessions && ccol >= 0 && row[ccol] > 0.0f;
      member[i] =
          (uint8_t)(1u << PE__POP_ALL | (unsigned)buyer << PE__POP_BUYERS |
                    (unsigned)sessions << PE__POP_SESSIONS | (unsigned)carter << PE__POP_CARTERS |
                    (unsigned)(sessions && buyer) << PE__POP_SESSION_BUYERS);
      accumulator *a = &acc[label[i]];
      a->customers++;
      a->buyers += buyer;
      a->with_sessions += sessions;
      if (mcol >= 0) a->revenue += row[mcol];
      if (fcol >= 0) a->orders += row[fcol];
    }
    for (int f = 0; f < PE_FEATURE_COUNT; f++) {
      const int c = col_of[f];
      if (c < 0) continue;
      const unsigned bit = 1u << populations[f];
      for (int i = 0; i < rows; i++) x[i] = in->raw[(first + i) * d + c];
      const float *v = x;
      if (log1p_features[f]) {
        /* The whole batch, padded, so that every value goes through the
         * vector call (a loop over `rows` ends with scalar calls). */
        for (int i = 0; i < BATCH_ROWS; i++) t[i] = i < rows && x[i] > 0 ? x[i] : 0;
#pragma omp simd
        for (int i = 0; i < BATCH_ROWS; i++) t[i] = log1pf(t[i]);
        v = t;
      }
      for (int i = 0; i < rows; i++) {
        if (!(member[i] & bit)) continue;
        accumulator *a = &acc[label[i]];
        const double tv = v[i];
        a->pop[f]++;
        a->sum[f] += x[i];
        a->tsum[f] += tv;
        a->tsum2[f] += tv * tv;
      }
    }
  }
}

static void add_into(accumulator *dst, const accumulator *src) {
  dst->customers += src->customers;
  dst->buyers += src->buyers;
  dst->with_sessions += src->with_sessions;
  dst->revenue += src->revenue;
  dst->orders += src->orders;
  for (int f = 0; f < PE_FEATURE_COUNT; f++) {
    dst->pop[f] += src->pop[f];
    dst->sum[f] += src->sum[f];
    dst->tsum[f] += src->tsum[f];
    dst->tsum2[f] += src->tsum2[f];
  }
}

static void finish_profile(const accumulator *a, const int *col_of, pe__profile *p) {
  memset(p, 0, sizeof *p);
  p->customers = a->customers;
  p->buyers = a->buyers;
  p->with_sessions = a->with_sessions;
  p->revenue = a->revenue;
  p->orders_per_buyer = a->buyers > 0 ? a->orders / (double)a->buyers : 0.0;
  for (int f = 0; f < PE_FEATURE_COUNT; f++) {
    p->has[f] = col_of[f] >= 0;
    p->pop[f] = a->pop[f];
    if (a->pop[f] == 0) continue;
    const double n = (double)a->pop[f];
    p->mean[f] = a->sum[f] / n;
    p->tmean[f] = a->tsum[f] / n;
    const double var = a->tsum2[f] / n - p->tmean[f] * p->tmean[f];
    p->tsd[f] = var > 0 ? sqrt(var) : 0.0;
  }
}

pe_status pe__profiles_compute(const pe_persona_input *in, pe__profile *profiles) {
  int col_of[PE_FEATURE_COUNT];
  for (int f = 0; f < PE_FEATURE_COUNT; f++) col_of[f] = -1;
  for (int c = 0; c < in->d; c++)
    if ((unsigned)in->columns[c] < PE_FEATURE_COUNT && col_of[in->columns[c]] < 0)
      col_of[in->columns[c]] = c;
  const int64_t nblocks = (in->n + PROFILE_BLOCK - 1) / PROFILE_BLOCK;
  const int k = in->k;
  /* Per block: the k clusters' sums, then a slot for all customers. */
  const int groups = k + 1;
  accumulator *partial =
      calloc((size_t)(nblocks > 0 ? nblocks : 1) * (size_t)groups, sizeof *partial);
  PE_FAIL_IF(!partial, PE_ERR_NOMEM, "describe: out of memory for %lld profile blocks",
             (long long)nblocks);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t b = 0; b < nblocks; b++) {
    const int64_t begin = b * PROFILE_BLOCK;
    const int64_t end = begin + PROFILE_BLOCK < in->n ? begin + PROFILE_BLOCK : in->n;
    accumulator *block = partial + b * groups;
    accumulate_block(in, col_of, begin, end, block);
    /* All customers: the block's clusters summed in cluster order. */
    for (int g = 0; g < k; g++) add_into(&block[k], &block[g]);
  }
  for (int64_t b = 1; b < nblocks; b++)
    for (int g = 0; g < groups; g++) add_into(&partial[g], &partial[b * groups + g]);
  for (int g = 0; g < groups; g++) finish_profile(&partial[g], col_of, &profiles[g]);
  free(partial);
  return PE_OK;
}
