/* Features against a brute-force oracle written independently here: every
 * customer's rows found by a linear scan, orders netted pairwise, months
 * from gmtime_r, quantiles by full sort. Random small tables in arbitrary
 * row order with multi-row orders, returns, return-only and zero-net orders,
 * customers known only from sessions, purchases outside any session and
 * purchases inside overlapping sessions. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "features/features_internal.h"
#include "harness.h"
#include "personae.h"
#include "test_features_util.h"

#define DAY 86400
#define T0 1704067200LL /* 2024-01-01 */

/* ---- random tables ---- */

typedef struct {
  ft_tx *tx;
  int64_t n, cap;
  ft_session *ss;
  int64_t ns, scap;
} tables;

static void push_tx(tables *t, int64_t c, int64_t o, int64_t ts, double a, float d, int32_t k) {
  if (t->n == t->cap)
    t->tx = realloc(t->tx, (size_t)(t->cap = t->cap ? 2 * t->cap : 256) * sizeof *t->tx);
  t->tx[t->n++] = (ft_tx){c, o, ts, a, d, k};
}

static void push_session(tables *t, int64_t c, int64_t ts, int32_t pv, float dur, int32_t ca,
                         uint8_t pur) {
  if (t->ns == t->scap)
    t->ss = realloc(t->ss, (size_t)(t->scap = t->scap ? 2 * t->scap : 256) * sizeof *t->ss);
  t->ss[t->ns++] = (ft_session){c, ts, pv, dur, ca, pur};
}

static void free_tables(tables *t) {
  free(t->tx);
  free(t->ss);
  memset(t, 0, sizeof *t);
}

static double cents(pe_rng *r, double hi) {
  return floor(pe_rng_uniform(r) * hi * 100 + 1) / 100;
}

/* Customers with ids spread over the int64 range (negative ones too). */
static void random_tables(tables *t, uint64_t seed, int customers, int with_sessions) {
  pe_rng r;
  pe_rng_init(&r, seed, 0);
  for (int i = 0; i < customers; i++) {
    int64_t id = (int64_t)pe_rng_next(&r) >> (pe_rng_below(&r, 3) * 20);
    int kind = (int)pe_rng_below(&r, 10); /* 0-1: sessions only, 2: no sessions */
    int orders = kind <= 1 ? 0 : (int)pe_rng_below(&r, 6);
    for (int o = 0; o < orders; o++) {
      int64_t oid = (int64_t)pe_rng_below(&r, 1000); /* order ids repeat across customers */
      int64_t ts = T0 + (int64_t)pe_rng_below(&r, 700 * DAY);
      int lines = 1 + (int)pe_rng_below(&r, 4);
      float disc = pe_rng_below(&r, 3) == 0 ? (float)(0.05 * (1 + pe_rng_below(&r, 6))) : 0.0f;
      int shape = (int)pe_rng_below(&r, 8); /* 0: with a return, 1: return only, 2: zero net */
      double total = 0;
      for (int l = 0; l < lines && shape != 1; l++) {
        double a = cents(&r, 80);
        total += a;
        /* The lines of an order may carry different times (the earliest
         * positive one is the order's time). */
        push_tx(t, id, oid, ts + (int64_t)pe_rng_below(&r, 600), a, l == 0 ? disc : 0.0f,
                (int32_t)pe_rng_below(&r, 7) - 1);
      }
      if (shape == 0 || shape == 1)
        push_tx(t, id, oid, ts + 3 * DAY, -cents(&r, 30), 0.0f, (int32_t)pe_rng_below(&r, 7) - 1);
      if (shape == 2) push_tx(t, id, oid, ts + DAY, -total, 0.0f, 3);
      if (!with_sessions || kind == 2) continue;
      /* Sessions around the purchase: none, one containing it, or two
         overlapping ones that both contain it. */
      int around = (int)pe_rng_below(&r, 4);
      int64_t buy = ts; /* may not be the order's earliest positive row: then unmatched */
      if (around >= 1) {
        int64_t start = buy - 30 - (int64_t)pe_rng_below(&r, 2000);
        push_session(t, id, start, 2 + (int32_t)pe_rng_below(&r, 9), (float)(buy - start + 60),
                     lines, 1);
      }
      if (around == 3) {
        int64_t start = buy - 10 - (int64_t)pe_rng_below(&r, 20);
        push_session(t, id, start, 3, (float)(buy - start + (int64_t)pe_rng_below(&r, 100)), 1, 1);
      }
    }
    if (!with_sessions || kind == 2) continue;
    int browse = (kind <= 1 ? 1 : 0) + (int)pe_rng_below(&r, 5);
    for (int s = 0; s < browse; s++) {
      int pv = pe_rng_below(&r, 3) == 0 ? 1 : 1 + (int)pe_rng_below(&r, 12);
      int ca = pe_rng_below(&r, 3) == 0 ? (int)pe_rng_below(&r, 4) : 0;
      push_session(t, id, T0 + (int64_t)pe_rng_below(&r, 700 * DAY), pv,
                   (float)(5 + pe_rng_uniform(&r) * 900), ca,
                   (uint8_t)(ca > 0 && pe_rng_below(&r, 3) == 0));
    }
  }
  /* Arbitrary row order. */
  for (int64_t i = t->n - 1; i > 0; i--) {
    int64_t j = (int64_t)pe_rng_below(&r, (uint64_t)i + 1);
    ft_tx x = t->tx[i];
    t->tx[i] = t->tx[j];
    t->tx[j] = x;
  }
  for (int64_t i = t->ns - 1; i > 0; i--) {
    int64_t j = (int64_t)pe_rng_below(&r, (uint64_t)i + 1);
    ft_session x = t->ss[i];
    t->ss[i] = t->ss[j];
    t->ss[j] = x;
  }
}

/* random_tables(), written to the scratch file `name` (its path in `path`). */
static void write_random_file(tables *t, uint64_t seed, int customers, int with_sessions,
                              const char *name, char *path, size_t size) {
  random_tables(t, seed, customers, with_sessions);
  pe_test_path(path, size, name);
  CU_ASSERT_FATAL(ft_write(path, t->tx, t->n, with_sessions ? t->ss : NULL,
                           with_sessions ? t->ns : 0, NULL) == 0);
}

/* ---- the oracle ---- */

typedef struct {
  int64_t id;
  double v[PE_FEATURE_COUNT];
  int has[PE_FEATURE_COUNT];
  double ev[PE_FEATURE_COUNT]; /* a share's denominator, 0 for other features */
} oracle_row;

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}
static int cmp_f64(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double sorted_quantile(const double *s, int64_t n, double q) {
  double h = (double)(n - 1) * q;
  int64_t k = (int64_t)floor(h);
  if (k >= n - 1) return s[n - 1];
  return s[k] + (h - (double)k) * (s[k + 1] - s[k]);
}

static int month_utc(int64_t ts) {
  time_t tt = (time_t)ts;
  struct tm tm;
  gmtime_r(&tt, &tm);
  return tm.tm_mon + 1;
}

static double ratio(double a, double b) {
  return b > 0 ? a / b : 0;
}

/* Returns the customers, ascending id; *count set. */
static oracle_row *oracle(const tables *t, int64_t as_of_param, int64_t *count) {
  int64_t *ids = malloc((size_t)(t->n + t->ns + 1) * sizeof *ids), m = 0;
  int64_t max_ts = INT64_MIN;
  for (int64_t i = 0; i < t->n; i++) {
    ids[m++] = t->tx[i].customer_id;
    if (t->tx[i].timestamp > max_ts) max_ts = t->tx[i].timestamp;
  }
  for (int64_t i = 0; i < t->ns; i++) ids[m++] = t->ss[i].customer_id;
  qsort(ids, (size_t)m, sizeof *ids, cmp_i64);
  int64_t c = 0;
  for (int64_t i = 0; i < m; i++)
    if (c == 0 || ids[c - 1] != ids[i]) ids[c++] = ids[i];
  int64_t as_of = as_of_param == PE_FEATURES_AS_OF_AUTO ? max_ts + DAY : as_of_param;
  int64_t min_ts = INT64_MAX;
  for (int64_t i = 0; i < t->n; i++)
    if (t->tx[i].timestamp <= as_of && t->tx[i].timestamp < min_ts) min_ts = t->tx[i].timestamp;
  double none_recency = floor((double)(as_of - min_ts) / DAY) + 1;
  oracle_row *out = calloc((size_t)c, sizeof *out);
  /* A customer has at most one purchase, category and matched purchase per
   * row. */
  const size_t most = (size_t)(t->n ? t->n : 1);
  int64_t *buy_ts = malloc(most * sizeof *buy_ts);
  int32_t *seen_cat = malloc(most * sizeof *seen_cat);
  double *ttp = malloc(most * sizeof *ttp);
  CU_ASSERT_FATAL(out && buy_ts && seen_cat && ttp);
  for (int64_t k = 0; k < c; k++) {
    oracle_row *o = &out[k];
    int64_t id = o->id = ids[k];
    double monetary = 0;
    int rows = 0, orders = 0, purchases = 0, discounted = 0, holiday = 0, returned = 0, cats = 0;
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (int64_t i = 0; i < t->n; i++) {
      const ft_tx *x = &t->tx[i];
      if (x->customer_id != id || x->timestamp > as_of) continue;
      rows++;
      monetary += x->amount;
      if (x->amount > 0) {
        if (x->timestamp < first) first = x->timestamp;
        if (x->timestamp > last) last = x->timestamp;
        int known = x->category < 0; /* unknown category */
        for (int q = 0; q < cats; q++) known |= seen_cat[q] == x->category;
        if (!known) seen_cat[cats++] = x->category;
      }
      int before = 0;
      for (int64_t j = 0; j < i && !before; j++)
        before = t->tx[j].customer_id == id && t->tx[j].order_id == x->order_id &&
                 t->tx[j].timestamp <= as_of;
      if (before) continue;
      double net = 0;
      int neg = 0, disc = 0;
      int64_t when = INT64_MAX;
      for (int64_t j = 0; j < t->n; j++) {
        const ft_tx *y = &t->tx[j];
        if (y->customer_id != id || y->order_id != x->order_id || y->timestamp > as_of) continue;
        net += y->amount;
        neg |= y->amount < 0;
        disc |= y->discount > 0;
        if (y->amount > 0 && y->timestamp < when) when = y->timestamp;
      }
      orders++;
      returned += neg;
      if (net > 0) {
        buy_ts[purchases++] = when;
        discounted += disc;
        holiday += month_utc(when) >= 11;
      }
    }
    int sessions = 0, bounces = 0, cart_sessions = 0, abandoned = 0;
    double pages = 0, cart_adds = 0;
    for (int64_t i = 0; i < t->ns; i++) {
      const ft_session *s = &t->ss[i];
      if (s->customer_id != id || s->timestamp > as_of) continue;
      sessions++;
      pages += s->pageviews;
      bounces += s->pageviews == 1;
      cart_adds += s->cart_adds;
      if (s->cart_adds > 0) {
        cart_sessions++;
        abandoned += !s->purchased;
      }
    }
    /* Each purchase: the latest-starting session of the customer whose
     * window contains it. */
    int matched = 0;
    for (int p = 0; p < purchases; p++) {
      int64_t best = INT64_MIN;
      for (int64_t i = 0; i < t->ns; i++) {
        const ft_session *s = &t->ss[i];
        if (s->customer_id != id || s->timestamp > as_of) continue;
        if (s->timestamp <= buy_ts[p] && (double)(buy_ts[p] - s->timestamp) <= s->duration_s &&
            s->timestamp > best)
          best = s->timestamp;
      }
      if (best != INT64_MIN) ttp[matched++] = (double)(buy_ts[p] - best);
    }
    qsort(ttp, (size_t)matched, sizeof *ttp, cmp_f64);
    double *v = o->v;
    int *h = o->has;
    int bought = purchases > 0;
    v[PE_FEAT_RECENCY_DAYS] = bought ? floor((double)(as_of - last) / DAY) : none_recency;
    v[PE_FEAT_FREQUENCY] = purchases;
    v[PE_FEAT_MONETARY] = monetary;
    v[PE_FEAT_AOV] = ratio(monetary, purchases);
    v[PE_FEAT_TENURE_DAYS] = bought ? floor((double)(last - first) / DAY) : 0;
    v[PE_FEAT_DISCOUNT_SHARE] = ratio(discounted, purchases);
    v[PE_FEAT_RETURN_RATE] = ratio(returned, orders);
    v[PE_FEAT_CATEGORIES] = cats;
    v[PE_FEAT_HOLIDAY_SHARE] = ratio(holiday, purchases);
    v[PE_FEAT_SESSIONS] = sessions;
    v[PE_FEAT_PAGES_PER_SESSION] = ratio(pages, sessions);
    v[PE_FEAT_BOUNCE_RATE] = ratio(bounces, sessions);
    v[PE_FEAT_CART_ADDS] = cart_adds;
    v[PE_FEAT_CART_ABANDONMENT] = ratio(abandoned, cart_sessions);
    v[PE_FEAT_TIME_TO_PURCHASE_S] = matched ? sorted_quantile(ttp, matched, 0.5) : 0;
    h[PE_FEAT_RECENCY_DAYS] = h[PE_FEAT_AOV] = h[PE_FEAT_TENURE_DAYS] = h[PE_FEAT_DISCOUNT_SHARE] =
        h[PE_FEAT_HOLIDAY_SHARE] = bought;
    h[PE_FEAT_FREQUENCY] = h[PE_FEAT_MONETARY] = h[PE_FEAT_CATEGORIES] = rows > 0;
    h[PE_FEAT_RETURN_RATE] = orders > 0;
    h[PE_FEAT_SESSIONS] = h[PE_FEAT_PAGES_PER_SESSION] = h[PE_FEAT_BOUNCE_RATE] =
        h[PE_FEAT_CART_ADDS] = sessions > 0;
    h[PE_FEAT_CART_ABANDONMENT] = cart_sessions > 0;
    h[PE_FEAT_TIME_TO_PURCHASE_S] = matched > 0;
    o->ev[PE_FEAT_DISCOUNT_SHARE] = o->ev[PE_FEAT_HOLIDAY_SHARE] = purchases;
    o->ev[PE_FEAT_RETURN_RATE] = orders;
    o->ev[PE_FEAT_BOUNCE_RATE] = sessions;
    o->ev[PE_FEAT_CART_ABANDONMENT] = cart_sessions;
  }
  free(ids);
  free(buy_ts);
  free(seen_cat);
  free(ttp);
  *count = c;
  return out;
}

/* The scaling rules of docs/features.md, written out independently: which
 * features are shares (shrunk by their denominator, checked against the
 * oracle's counts), and which features' fill-in is a true zero. */
static int oracle_is_share(pe_feature k) {
  return k == PE_FEAT_DISCOUNT_SHARE || k == PE_FEAT_RETURN_RATE || k == PE_FEAT_HOLIDAY_SHARE ||
         k == PE_FEAT_BOUNCE_RATE || k == PE_FEAT_CART_ABANDONMENT;
}
static int oracle_zero_is_real(pe_feature k) {
  return k == PE_FEAT_FREQUENCY || k == PE_FEAT_MONETARY;
}
static int oracle_log1p(pe_feature k) {
  return !(k == PE_FEAT_RECENCY_DAYS || k == PE_FEAT_TENURE_DAYS || k == PE_FEAT_DISCOUNT_SHARE ||
           k == PE_FEAT_RETURN_RATE || k == PE_FEAT_HOLIDAY_SHARE || k == PE_FEAT_BOUNCE_RATE ||
           k == PE_FEAT_CART_ABANDONMENT);
}

/* The expected scaled column j (out, n values), centre and scale, from the
 * library's own float raw values and flags. */
static void oracle_scaling(const pe_features *f, int j, double *out, double *center,
                           double *scale) {
  const int64_t n = pe_features_count(f);
  const int d = pe_features_dim(f);
  const float *raw = pe_features_raw(f);
  const uint8_t *has = pe_features_has_value(f);
  const float *evn = pe_features_evidence_counts(f);
  const pe_feature k = pe_features_column(f, j);
  double prior = 0, m = 0;
  for (int64_t i = 0; i < n; i++)
    if (has[i * d + j]) prior += raw[i * d + j], m++;
  prior = m > 0 ? prior / m : 0;
  double sum = 0, cnt = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = raw[i * d + j];
    const int counted = has[i * d + j] || oracle_zero_is_real(k);
    if (oracle_is_share(k) && has[i * d + j]) {
      double ev = evn[i * d + j];
      x = (x * ev + 4.0 * prior) / (ev + 4.0);
    }
    if (oracle_log1p(k)) x = x >= 0 ? log1p(x) : -log1p(-x);
    x = (float)x; /* the library centres a float value */
    out[i] = counted ? x : NAN;
    if (counted) sum += x, cnt++;
  }
  const double c = cnt > 0 ? sum / cnt : 0;
  double ss = 0;
  for (int64_t i = 0; i < n; i++)
    if (!isnan(out[i])) ss += (out[i] - c) * (out[i] - c);
  const double sd = cnt > 0 ? sqrt(ss / cnt) : 0, sc = sd > 0 ? sd : 1;
  for (int64_t i = 0; i < n; i++) {
    double z = isnan(out[i]) ? 0 : (out[i] - c) / sc;
    out[i] = z > 4 ? 4 : z < -4 ? -4 : z;
  }
  *center = c;
  *scale = sc;
}

/* ---- comparing ---- */

static pe_features *compute(const char *path, int64_t as_of, int64_t chunk, int threads) {
  pe_features_params p;
  pe_features_params_init(&p);
  p.as_of = as_of;
  if (chunk) p.chunk_rows = chunk;
  omp_set_num_threads(threads);
  pe_features *f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &p, &f), PE_OK);
  omp_set_num_threads(2);
  return f;
}

static void check_against_oracle(const tables *t, const pe_features *f, int64_t as_of) {
  int64_t n;
  oracle_row *o = oracle(t, as_of, &n);
  PE_ASSERT_EQ_LL(pe_features_count(f), n);
  if (pe_features_count(f) != n) {
    free(o);
    return;
  }
  const int d = pe_features_dim(f);
  const int64_t *ids = pe_features_customer_ids(f);
  const float *raw = pe_features_raw(f), *scaled = pe_features_scaled(f);
  const uint8_t *has = pe_features_has_value(f);
  int bad = 0;
  for (int64_t i = 0; i < n && bad < 5; i++) {
    if (ids[i] != o[i].id) {
      PE_ASSERT_EQ_LL(ids[i], o[i].id);
      bad++;
      continue;
    }
    for (int j = 0; j < d; j++) {
      pe_feature k = pe_features_column(f, j);
      double want = (float)o[i].v[k], got = raw[i * d + j];
      const double want_ev = o[i].ev[k], got_ev = pe_features_evidence_counts(f)[i * d + j];
      if (fabs(got - want) > 1e-6 * (1 + fabs(want)) || has[i * d + j] != o[i].has[k] ||
          got_ev != want_ev) {
        fprintf(stderr, "\n  customer %lld %s: got %.9g (has %d), expected %.9g (has %d)\n",
                (long long)ids[i], pe_feature_key(k), got, has[i * d + j], want, o[i].has[k]);
        CU_FAIL("feature value differs from the oracle");
        bad++;
      }
    }
  }
  double *want = malloc((size_t)n * sizeof *want);
  for (int j = 0; j < d && want; j++) {
    double c, s;
    oracle_scaling(f, j, want, &c, &s);
    /* The library takes log1p in single precision (within a few float ulp,
     * about 5e-7 relative); the oracle in double. */
    PE_ASSERT_NEAR(pe_features_center(f)[j], c, 1e-6 * (1 + fabs(c)));
    PE_ASSERT_NEAR(pe_features_scale_of(f)[j], s, 1e-6 * (1 + fabs(s)));
    for (int64_t i = 0; i < n && bad < 5; i++) {
      if (fabs(scaled[i * d + j] - want[i]) > 1e-5 * (1 + fabs(want[i]))) {
        fprintf(stderr, "\n  customer %lld column %d: scaled %.9g, expected %.9g\n",
                (long long)ids[i], j, (double)scaled[i * d + j], want[i]);
        CU_FAIL("scaled value differs");
        bad++;
      }
    }
  }
  free(want);
  free(o);
}

static void same_result(const pe_features *a, const pe_features *b) {
  PE_ASSERT_EQ_LL(pe_features_count(a), pe_features_count(b));
  PE_ASSERT_EQ_LL(pe_features_dim(a), pe_features_dim(b));
  if (pe_features_count(a) != pe_features_count(b) || pe_features_dim(a) != pe_features_dim(b))
    return;
  size_t n = (size_t)pe_features_count(a), d = (size_t)pe_features_dim(a);
  CU_ASSERT(memcmp(pe_features_customer_ids(a), pe_features_customer_ids(b), n * 8) == 0);
  CU_ASSERT(memcmp(pe_features_raw(a), pe_features_raw(b), n * d * 4) == 0);
  CU_ASSERT(memcmp(pe_features_scaled(a), pe_features_scaled(b), n * d * 4) == 0);
  CU_ASSERT(memcmp(pe_features_has_value(a), pe_features_has_value(b), n * d) == 0);
  CU_ASSERT(memcmp(pe_features_center(a), pe_features_center(b), d * 8) == 0);
  CU_ASSERT(memcmp(pe_features_scale_of(a), pe_features_scale_of(b), d * 8) == 0);
  CU_ASSERT(memcmp(pe_features_prior(a), pe_features_prior(b), d * 8) == 0);
  for (size_t j = 0; j < d; j++)
    CU_ASSERT_EQUAL(pe_features_column(a, (int)j), pe_features_column(b, (int)j));
}

static void test_random_tables(void) {
  for (uint64_t seed = 1; seed <= 6; seed++) {
    tables t = {0};
    char path[512];
    write_random_file(&t, seed, 70, 1, "random.h5", path, sizeof path);
    pe_features *f1 = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
    pe_features *f2 = compute(path, PE_FEATURES_AS_OF_AUTO, 7, 2); /* many small chunks */
    if (f1 && f2) {
      PE_ASSERT_EQ_LL(pe_features_dim(f1), PE_FEATURE_COUNT);
      check_against_oracle(&t, f1, PE_FEATURES_AS_OF_AUTO);
      same_result(f1, f2);
      pe_features_summary s;
      pe_features_get_summary(f1, &s);
      CU_ASSERT(s.has_sessions);
      PE_ASSERT_EQ_LL(s.rows, t.n);
      PE_ASSERT_EQ_LL(s.session_rows, t.ns);
      CU_ASSERT(s.purchases_matched > 0 && s.purchases_matched < s.purchases);
    }
    pe_features_free(f1);
    pe_features_free(f2);
    free_tables(&t);
  }
}

/* Small ids and whole-cent amounts: the transactions pass packs such
 * chunks into 24-byte records (rfm/row_pack.h), and the sessions pass its
 * chunks into 16-byte ones. The same random tables with their ids folded
 * below a million (customers that collide simply merge, in the oracle too);
 * then with one amount of 1/3, one session of 70000 pageviews and one of
 * 40000 cart adds, so that with 7-row chunks packed and unpacked chunks
 * alternate in one file. A purchased flag of 3 counts as purchased either
 * way. */
static void test_packed_records(void) {
  for (int odd = 0; odd <= 1; odd++) {
    tables t = {0};
    random_tables(&t, 90 + (uint64_t)odd, 70, 1);
    for (int64_t i = 0; i < t.n; i++)
      t.tx[i].customer_id = (int64_t)((uint64_t)t.tx[i].customer_id % 1000003);
    for (int64_t i = 0; i < t.ns; i++)
      t.ss[i].customer_id = (int64_t)((uint64_t)t.ss[i].customer_id % 1000003);
    if (odd) {
      t.tx[t.n / 2].amount = 1.0 / 3.0;
      t.ss[t.ns / 3].pageviews = 70000;
      t.ss[2 * t.ns / 3].cart_adds = 40000;
    }
    for (int64_t i = 0; i < t.ns; i += 5)
      if (t.ss[i].purchased) t.ss[i].purchased = 3;
    char path[512];
    pe_test_path(path, sizeof path, "packed.h5");
    CU_ASSERT_FATAL(ft_write(path, t.tx, t.n, t.ss, t.ns, NULL) == 0);
    pe_features *f1 = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
    pe_features *f2 = compute(path, PE_FEATURES_AS_OF_AUTO, 7, 2);
    if (f1 && f2) {
      check_against_oracle(&t, f1, PE_FEATURES_AS_OF_AUTO);
      check_against_oracle(&t, f2, PE_FEATURES_AS_OF_AUTO);
      same_result(f1, f2);
    }
    pe_features_free(f1);
    pe_features_free(f2);
    free_tables(&t);
  }
}

static void test_as_of(void) {
  tables t = {0};
  char path[512];
  write_random_file(&t, 11, 80, 1, "as_of.h5", path, sizeof path);
  int64_t as_of = T0 + 400 * DAY;
  pe_features *f = compute(path, as_of, 13, 2);
  if (f) {
    check_against_oracle(&t, f, as_of);
    pe_features_summary s;
    pe_features_get_summary(f, &s);
    PE_ASSERT_EQ_LL(s.as_of, as_of);
    CU_ASSERT(s.rows_future > 0 && s.sessions_future > 0);
  }
  pe_features_free(f);
  free_tables(&t);
}

static void test_transaction_only(void) {
  tables t = {0};
  char path[512];
  write_random_file(&t, 21, 90, 0, "tx_only.h5", path, sizeof path);
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 2);
  if (f) {
    int d = pe_features_dim(f);
    int want = 0;
    for (int k = 0; k < PE_FEATURE_COUNT; k++) want += !pe_feature_needs_sessions((pe_feature)k);
    PE_ASSERT_EQ_LL(d, want);
    for (int j = 0; j < d; j++) CU_ASSERT(!pe_feature_needs_sessions(pe_features_column(f, j)));
    CU_ASSERT_EQUAL(pe_features_column_of(f, PE_FEAT_BOUNCE_RATE), -1);
    check_against_oracle(&t, f, PE_FEATURES_AS_OF_AUTO);
    pe_features_summary s;
    pe_features_get_summary(f, &s);
    CU_ASSERT(!s.has_sessions);
  }
  pe_features_free(f);
  /* Asking for a session feature there is an error naming /sessions. */
  pe_features_params p;
  pe_features_params_init(&p);
  pe_feature want[2] = {PE_FEAT_FREQUENCY, PE_FEAT_SESSIONS};
  p.features = want;
  p.nfeatures = 2;
  f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &p, &f), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "/sessions") != NULL);
  CU_ASSERT(strstr(personae_last_error(), "'sessions'") != NULL);
  CU_ASSERT(f == NULL);
  free_tables(&t);
}

/* Which session a purchase belongs to, spelled out by hand. */
static void test_session_rule(void) {
  const int64_t P = T0 + 100 * DAY, Q = T0 + 200 * DAY, R = T0 + 300 * DAY;
  ft_tx tx[] = {
      {7, 1, P, 10.0, 0, 1},     /* inside sessions A and B: B starts later and wins */
      {7, 2, Q, 20.0, 0, 1},     /* outside every session */
      {8, 1, P, 5.0, 0, 2},      /* at the very end of a window (inclusive) */
      {8, 2, R, 5.0, 0, 2},      /* at the very start of a window: 0 s */
      {8, 3, Q, 5.0, 0, 2},      /* 300 s after a start */
      {9, 1, R + 50, 5.0, 0, 1}, /* customer 9's purchase inside customer 8's session: no */
  };
  ft_session ss[] = {
      {7, P - 500, 4, 1000.0f, 1, 1}, /* A */
      {7, P - 100, 4, 200.0f, 1, 1},  /* B */
      {7, Q + 10, 1, 50.0f, 0, 0},    /* starts after the purchase */
      {8, P - 100, 2, 100.0f, 0, 1},  {8, R, 2, 100.0f, 0, 1}, {8, Q - 300, 2, 400.0f, 0, 1},
  };
  char path[512];
  pe_test_path(path, sizeof path, "rule.h5");
  CU_ASSERT_FATAL(ft_write(path, tx, 6, ss, 6, NULL) == 0);
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 2);
  if (!f) return;
  int j = pe_features_column_of(f, PE_FEAT_TIME_TO_PURCHASE_S);
  int d = pe_features_dim(f);
  const float *raw = pe_features_raw(f);
  const uint8_t *has = pe_features_has_value(f);
  PE_ASSERT_EQ_LL(pe_features_count(f), 3);
  /* ids 7, 8, 9 in that order */
  PE_ASSERT_NEAR(raw[0 * d + j], 100.0, 0); /* B, not A (400 s) */
  CU_ASSERT_EQUAL(has[0 * d + j], 1);
  PE_ASSERT_NEAR(raw[1 * d + j], 100.0, 0); /* median of 100, 0, 300 */
  PE_ASSERT_NEAR(raw[2 * d + j], 0.0, 0);
  CU_ASSERT_EQUAL(has[2 * d + j], 0);
  pe_features_summary s;
  pe_features_get_summary(f, &s);
  PE_ASSERT_EQ_LL(s.purchases, 6);
  PE_ASSERT_EQ_LL(s.purchases_matched, 4);
  pe_features_free(f);
}

static void test_subset_and_names(void) {
  tables t = {0};
  char path[512];
  write_random_file(&t, 31, 50, 1, "subset.h5", path, sizeof path);
  pe_feature want[PE_FEATURE_COUNT];
  int count = 0;
  PE_ASSERT_STATUS(pe_feature_parse_list("monetary,bounce_rate,recency_days", want, &count), PE_OK);
  PE_ASSERT_EQ_LL(count, 3);
  pe_features_params p;
  pe_features_params_init(&p);
  p.features = want;
  p.nfeatures = count;
  pe_features *sub = NULL, *all = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 2);
  PE_ASSERT_STATUS(pe_features_compute(path, &p, &sub), PE_OK);
  if (sub && all) {
    PE_ASSERT_EQ_LL(pe_features_dim(sub), 3);
    CU_ASSERT_EQUAL(pe_features_column(sub, 0), PE_FEAT_MONETARY);
    CU_ASSERT_EQUAL(pe_features_column(sub, 1), PE_FEAT_BOUNCE_RATE);
    CU_ASSERT_EQUAL(pe_features_column(sub, 2), PE_FEAT_RECENCY_DAYS);
    int64_t n = pe_features_count(all);
    int da = pe_features_dim(all);
    int same = 1;
    for (int j = 0; j < 3; j++) {
      int ja = pe_features_column_of(all, pe_features_column(sub, j));
      for (int64_t i = 0; i < n; i++) {
        same &= pe_features_raw(sub)[i * 3 + j] == pe_features_raw(all)[i * da + ja];
        same &= pe_features_scaled(sub)[i * 3 + j] == pe_features_scaled(all)[i * da + ja];
      }
    }
    CU_ASSERT(same);
  }
  pe_features_free(sub);
  /* Without session features /sessions only contributes its customers: the
   * same rows, the same values. */
  pe_feature tx_only[2] = {PE_FEAT_FREQUENCY, PE_FEAT_RECENCY_DAYS};
  p.features = tx_only;
  p.nfeatures = 2;
  sub = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &p, &sub), PE_OK);
  if (sub && all) {
    int64_t n = pe_features_count(all);
    int da = pe_features_dim(all), same = pe_features_count(sub) == n;
    for (int64_t i = 0; same && i < n; i++) {
      same &= pe_features_customer_ids(sub)[i] == pe_features_customer_ids(all)[i];
      for (int j = 0; j < 2; j++)
        same &= pe_features_raw(sub)[i * 2 + j] ==
                pe_features_raw(all)[i * da + pe_features_column_of(all, tx_only[j])];
    }
    CU_ASSERT(same);
    pe_features_summary s;
    pe_features_get_summary(sub, &s);
    PE_ASSERT_EQ_LL(s.session_rows, t.ns);
  }
  pe_features_free(sub);
  pe_features_free(all);
  PE_ASSERT_STATUS(pe_feature_parse_list("recency_days,nope", want, &count), PE_ERR_USAGE);
  CU_ASSERT(strstr(personae_last_error(), "'nope'") != NULL);
  CU_ASSERT(strstr(personae_last_error(), "time_to_purchase_s") != NULL); /* lists the keys */
  PE_ASSERT_STATUS(pe_feature_parse_list("frequency,frequency", want, &count), PE_ERR_USAGE);
  PE_ASSERT_STATUS(pe_feature_parse_list("frequency,,aov", want, &count), PE_ERR_USAGE);
  PE_ASSERT_STATUS(pe_feature_parse_list("", want, &count), PE_ERR_USAGE);
  for (int k = 0; k < PE_FEATURE_COUNT; k++) {
    pe_feature back;
    PE_ASSERT_STATUS(pe_feature_from_key(pe_feature_key((pe_feature)k), &back), PE_OK);
    CU_ASSERT_EQUAL(back, k);
    CU_ASSERT(pe_feature_description((pe_feature)k) != NULL);
  }
  free_tables(&t);
}

static void test_write_read(void) {
  tables t = {0};
  char path[512], res[512];
  write_random_file(&t, 41, 60, 1, "rw.h5", path, sizeof path);
  pe_test_path(res, sizeof res, "rw.personae.h5");
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 2), *g = NULL;
  if (!f) return;
  const char *inputs[] = {path, NULL};
  PE_ASSERT_STATUS(pe_features_write(f, res, inputs), PE_OK);
  PE_ASSERT_STATUS(pe_features_write(f, path, inputs), PE_ERR_USAGE); /* never over the input */
  PE_ASSERT_STATUS(pe_features_read(res, &g), PE_OK);
  if (g) {
    same_result(f, g);
    PE_ASSERT_EQ_LL(pe_features_as_of(g), pe_features_as_of(f));
    pe_features_summary sf, sg;
    pe_features_get_summary(f, &sf);
    pe_features_get_summary(g, &sg);
    PE_ASSERT_EQ_LL(sg.customers, sf.customers);
    PE_ASSERT_EQ_LL(sg.customers_with_purchase, sf.customers_with_purchase);
    PE_ASSERT_EQ_LL(sg.customers_with_sessions, sf.customers_with_sessions);
    PE_ASSERT_EQ_LL(sg.has_sessions, 1);
    /* Scaling the stored raw rows again gives the stored scaled rows. */
    size_t nd = (size_t)pe_features_count(g) * (size_t)pe_features_dim(g);
    float *again = malloc(nd * sizeof *again);
    PE_ASSERT_STATUS(pe_features_scale(g, pe_features_raw(g), pe_features_has_value(g),
                                       pe_features_evidence_counts(g), pe_features_count(g), again),
                     PE_OK);
    CU_ASSERT(memcmp(again, pe_features_scaled(g), nd * sizeof *again) == 0);
    /* And so does scaling a few rows alone, from the middle: a value's
     * scaling does not depend on its neighbours. */
    const int64_t n = pe_features_count(g), from = n / 3, rows = n - from < 37 ? n - from : 37;
    const size_t at = (size_t)from * (size_t)pe_features_dim(g),
                 part = (size_t)rows * (size_t)pe_features_dim(g);
    CU_ASSERT_FATAL(rows > 0);
    PE_ASSERT_STATUS(pe_features_scale(g, pe_features_raw(g) + at, pe_features_has_value(g) + at,
                                       pe_features_evidence_counts(g) + at, rows, again),
                     PE_OK);
    CU_ASSERT(memcmp(again, pe_features_scaled(g) + at, part * sizeof *again) == 0);
    free(again);
  }
  pe_features_free(g);
  /* A results file without /features says so. */
  g = NULL;
  PE_ASSERT_STATUS(pe_features_read(path, &g), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "/features") != NULL);
  pe_features_free(f);
  free_tables(&t);
}

static void expect_bad(const char *name, const tables *t, const ft_damage *dmg, pe_status want,
                       const char *const *needles) {
  char path[512];
  pe_test_path(path, sizeof path, name);
  CU_ASSERT_FATAL(ft_write(path, t->tx, t->n, t->ss, t->ns, dmg) == 0);
  pe_features *f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, NULL, &f), want);
  CU_ASSERT(f == NULL);
  const char *msg = personae_last_error();
  CU_ASSERT(strstr(msg, path) != NULL);
  for (int i = 0; needles[i]; i++)
    if (!strstr(msg, needles[i])) {
      fprintf(stderr, "\n  message '%s' lacks '%s'\n", msg, needles[i]);
      CU_FAIL("error message incomplete");
    }
}

static void test_bad_input(void) {
  tables t = {0};
  random_tables(&t, 51, 40, 1);
  t.tx[17].amount = NAN;
  expect_bad("nan.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/transactions/amount", "row 17", "NaN", NULL});
  t.tx[17].amount = 3.0;
  t.tx[5].discount = NAN;
  expect_bad("nan_discount.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/transactions/discount", "row 5", NULL});
  t.tx[5].discount = 1.5f;
  expect_bad("big_discount.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/transactions/discount", "row 5", "1.5", "[0, 1]", NULL});
  t.tx[5].discount = -0.25f;
  expect_bad("negative_discount.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/transactions/discount", "row 5", "-0.25", NULL});
  t.tx[5].discount = 0;
  expect_bad("missing.h5", &t, &(ft_damage){"transactions/order_id", NULL}, PE_ERR_DATA,
             (const char *[]){"/transactions/order_id", NULL});
  expect_bad("short.h5", &t, &(ft_damage){NULL, "sessions/pageviews"}, PE_ERR_DATA,
             (const char *[]){"/sessions", NULL});
  expect_bad("missing_session_col.h5", &t, &(ft_damage){"sessions/purchased", NULL}, PE_ERR_DATA,
             (const char *[]){"/sessions/purchased", NULL});
  t.ss[3].pageviews = -2;
  expect_bad("negative.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/sessions/pageviews", "row 3", NULL});
  t.ss[3].pageviews = 2;
  t.ss[9].duration_s = NAN;
  expect_bad("nan_duration.h5", &t, NULL, PE_ERR_DATA,
             (const char *[]){"/sessions/duration_s", "row 9", NULL});
  t.ss[9].duration_s = 5;
  tables empty = {0};
  expect_bad("empty.h5", &empty, NULL, PE_ERR_DATA,
             (const char *[]){"/transactions", "empty", NULL});
  pe_features *f = NULL;
  char path[512];
  PE_ASSERT_STATUS(pe_features_compute(pe_test_path(path, sizeof path, "absent.h5"), NULL, &f),
                   PE_ERR_IO);
  free_tables(&t);
}

static void test_column_stats(void) {
  ft_tx tx[] = {{1, 1, T0, 10, 0, 1},
                {2, 1, T0, 20, 0, 1},
                {3, 1, T0, 30, 0, 1},
                {4, 1, T0, 40, 0, 1},
                {4, 2, T0 + DAY, 60, 0.5f, 2}};
  ft_session ss[] = {{5, T0, 1, 3.0f, 0, 0}};
  char path[512];
  pe_test_path(path, sizeof path, "stats.h5");
  CU_ASSERT_FATAL(ft_write(path, tx, 5, ss, 1, NULL) == 0);
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
  if (!f) return;
  pe_feature_stats st;
  PE_ASSERT_STATUS(pe_features_column_stats(f, pe_features_column_of(f, PE_FEAT_MONETARY), &st),
                   PE_OK);
  PE_ASSERT_NEAR(st.mean, 40.0, 1e-12); /* 10, 20, 30, 100 over the four buyers */
  PE_ASSERT_NEAR(st.median, 25.0, 1e-12);
  PE_ASSERT_NEAR(st.p90, 79.0, 1e-9); /* 30 + 0.7 * 70 */
  PE_ASSERT_NEAR(st.share_with_value, 0.8, 1e-12);
  PE_ASSERT_STATUS(
      pe_features_column_stats(f, pe_features_column_of(f, PE_FEAT_DISCOUNT_SHARE), &st), PE_OK);
  PE_ASSERT_NEAR(st.mean, 0.125, 1e-12);
  /* Customer 5 (sessions only): recency is the period from the first row to
   * as-of (2 days) + 1. */
  int j = pe_features_column_of(f, PE_FEAT_RECENCY_DAYS);
  PE_ASSERT_NEAR(pe_features_raw(f)[4 * pe_features_dim(f) + j], 3.0, 0);
  PE_ASSERT_STATUS(pe_features_column_stats(f, 99, &st), PE_ERR_USAGE);
  pe_feature_stats all[PE_FEATURE_COUNT];
  PE_ASSERT_STATUS(pe_features_stats(f, all), PE_OK);
  for (int c = 0; c < pe_features_dim(f); c++) {
    PE_ASSERT_STATUS(pe_features_column_stats(f, c, &st), PE_OK);
    CU_ASSERT(memcmp(&st, &all[c], sizeof st) == 0);
  }
  pe_features_free(f);
}

/* Imported data without category or discount columns holds -1 and 0 there:
 * the default selection leaves those two features out, an explicit one keeps
 * them. */
static void test_empty_sources(void) {
  tables t = {0};
  random_tables(&t, 61, 40, 0);
  for (int64_t i = 0; i < t.n; i++) {
    t.tx[i].category = -1;
    t.tx[i].discount = 0;
  }
  char path[512];
  pe_test_path(path, sizeof path, "no_categories.h5");
  CU_ASSERT_FATAL(ft_write(path, t.tx, t.n, NULL, 0, NULL) == 0);
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 2);
  if (f) {
    PE_ASSERT_EQ_LL(pe_features_dim(f), 7);
    CU_ASSERT_EQUAL(pe_features_column_of(f, PE_FEAT_CATEGORIES), -1);
    CU_ASSERT_EQUAL(pe_features_column_of(f, PE_FEAT_DISCOUNT_SHARE), -1);
    check_against_oracle(&t, f, PE_FEATURES_AS_OF_AUTO);
  }
  pe_features_free(f);
  pe_features_params p;
  pe_features_params_init(&p);
  pe_feature want[2] = {PE_FEAT_CATEGORIES, PE_FEAT_DISCOUNT_SHARE};
  p.features = want;
  p.nfeatures = 2;
  f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &p, &f), PE_OK);
  if (f) {
    PE_ASSERT_EQ_LL(pe_features_dim(f), 2);
    check_against_oracle(&t, f, PE_FEATURES_AS_OF_AUTO);
  }
  pe_features_free(f);
  free_tables(&t);
}

/* RFM scored from the features pass's aggregates equals pe_rfm_compute's own
 * pass, column for column and bit for bit, with and without as_of. */
/* `chunk`: rows per read of the features pass. */
static void same_rfm(const char *path, int64_t as_of, int64_t chunk) {
  pe_rfm_params rp;
  pe_rfm_params_init(&rp);
  rp.as_of = as_of == PE_FEATURES_AS_OF_AUTO ? PE_RFM_AS_OF_AUTO : as_of;
  pe_rfm_result *direct = NULL, *fused = NULL;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &rp, &direct), PE_OK);
  pe_features_params fp;
  pe_features_params_init(&fp);
  fp.as_of = as_of;
  fp.rfm_aggregates = 1;
  if (chunk) fp.chunk_rows = chunk;
  pe_features *f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &fp, &f), PE_OK);
  pe_rfm_aggregates agg;
  if (f && pe_features_rfm_aggregates(f, &agg) == PE_OK)
    PE_ASSERT_STATUS(pe_rfm_compute_from_aggregates(&agg, &rp, &fused), PE_OK);
  if (direct && fused) {
    pe_rfm_columns a, b;
    pe_rfm_result_columns(direct, &a);
    pe_rfm_result_columns(fused, &b);
    PE_ASSERT_EQ_LL(b.count, a.count);
    const size_t n = (size_t)a.count;
    if (a.count == b.count) {
      CU_ASSERT(memcmp(a.customer_id, b.customer_id, n * 8) == 0);
      CU_ASSERT(memcmp(a.has_purchase, b.has_purchase, n) == 0);
      CU_ASSERT(memcmp(a.recency_days, b.recency_days, n * 4) == 0);
      CU_ASSERT(memcmp(a.frequency, b.frequency, n * 4) == 0);
      CU_ASSERT(memcmp(a.tenure_days, b.tenure_days, n * 4) == 0);
      CU_ASSERT(memcmp(a.orders_returned, b.orders_returned, n * 4) == 0);
      CU_ASSERT(memcmp(a.monetary, b.monetary, n * 8) == 0);
      CU_ASSERT(memcmp(a.aov, b.aov, n * 8) == 0);
      CU_ASSERT(memcmp(a.first_purchase, b.first_purchase, n * 8) == 0);
      CU_ASSERT(memcmp(a.last_purchase, b.last_purchase, n * 8) == 0);
      CU_ASSERT(memcmp(a.r, b.r, n) == 0 && memcmp(a.f, b.f, n) == 0 && memcmp(a.m, b.m, n) == 0);
      CU_ASSERT(memcmp(a.segment, b.segment, n * 2) == 0);
    }
    pe_rfm_summary sa, sb;
    pe_rfm_result_summary(direct, &sa);
    pe_rfm_result_summary(fused, &sb);
    PE_ASSERT_EQ_LL(sb.as_of, sa.as_of);
    PE_ASSERT_EQ_LL(sb.rows, sa.rows);
    PE_ASSERT_EQ_LL(sb.rows_future, sa.rows_future);
    PE_ASSERT_EQ_LL(sb.orders, sa.orders);
    PE_ASSERT_EQ_LL(sb.customers, sa.customers);
    PE_ASSERT_EQ_LL(sb.customers_scored, sa.customers_scored);
    PE_ASSERT_EQ_LL(sb.customers_from_sessions_only, sa.customers_from_sessions_only);
    PE_ASSERT_EQ_LL(sb.first_timestamp, sa.first_timestamp);
    PE_ASSERT_EQ_LL(sb.last_timestamp, sa.last_timestamp);
    CU_ASSERT(sb.revenue == sa.revenue);
  }
  pe_rfm_result_free(direct);
  pe_rfm_result_free(fused);
  pe_features_free(f);
}

static void test_rfm_from_features_pass(void) {
  tables t = {0};
  char path[512];
  write_random_file(&t, 51, 120, 1, "fused_rfm.h5", path, sizeof path);
  same_rfm(path, PE_FEATURES_AS_OF_AUTO, 17);
  same_rfm(path, T0 + 300 * DAY, 17);
  /* The same shop 60 years earlier: purchases before 1970 have negative
   * timestamps, which must not read as "no purchase". */
  for (int64_t i = 0; i < t.n; i++) t.tx[i].timestamp -= 60 * 365 * DAY;
  for (int64_t i = 0; i < t.ns; i++) t.ss[i].timestamp -= 60 * 365 * DAY;
  char old[512];
  pe_test_path(old, sizeof old, "fused_rfm_1960s.h5");
  CU_ASSERT_FATAL(ft_write(old, t.tx, t.n, t.ss, t.ns, NULL) == 0);
  same_rfm(old, PE_FEATURES_AS_OF_AUTO, 17);
  same_rfm(old, T0 + 300 * DAY - 60 * 365 * DAY, 17);
  free_tables(&t);
  /* Without the flag there are no aggregates, and the call says so. */
  pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
  pe_rfm_aggregates agg;
  if (f) PE_ASSERT_STATUS(pe_features_rfm_aggregates(f, &agg), PE_ERR_USAGE);
  pe_features_free(f);
}

/* Customers whose partition tables must grow many times over (they start at
 * 16 entries): three customers with hundreds to thousands of multi-line
 * orders over many categories, among random ones, against the oracle. The
 * last one's order table outgrows the address space first reserved for it
 * and moves. */
static void test_heavy_customers_grow_tables(void) {
  tables t = {0};
  random_tables(&t, 77, 40, 1);
  pe_rng r;
  pe_rng_init(&r, 78, 0);
  for (int h = 0; h < 3; h++) {
    const int64_t id = 9000 + h;
    for (int o = 0; o < (h < 2 ? 300 + 100 * h : 3500); o++) {
      const int64_t ts = T0 + (int64_t)pe_rng_below(&r, 700 * DAY);
      const int lines = 1 + (int)pe_rng_below(&r, 3);
      for (int l = 0; l < lines; l++)
        push_tx(&t, id, 100000 + o, ts + l, cents(&r, 90), l == 0 && o % 3 == 0 ? 0.1f : 0.0f,
                (int32_t)pe_rng_below(&r, 40));
      if (o % 7 == 0) push_tx(&t, id, 100000 + o, ts + DAY, -cents(&r, 20), 0.0f, 1);
      if (o % 5 == 0) push_session(&t, id, ts - 100, 4, 400.0f, 1, 1);
    }
  }
  for (int64_t i = t.n - 1; i > 0; i--) { /* arbitrary row order */
    int64_t j = (int64_t)pe_rng_below(&r, (uint64_t)i + 1);
    ft_tx x = t.tx[i];
    t.tx[i] = t.tx[j];
    t.tx[j] = x;
  }
  char path[512];
  pe_test_path(path, sizeof path, "heavy.h5");
  CU_ASSERT_FATAL(ft_write(path, t.tx, t.n, t.ss, t.ns, NULL) == 0);
  pe_features *f1 = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
  pe_features *f2 = compute(path, PE_FEATURES_AS_OF_AUTO, 97, 2);
  if (f1 && f2) {
    check_against_oracle(&t, f1, PE_FEATURES_AS_OF_AUTO);
    same_result(f1, f2);
  }
  pe_features_free(f1);
  pe_features_free(f2);
  free_tables(&t);
}

/* Tens of thousands of customers: every partition's customer array and
 * order table double several times. Too many for the quadratic oracle, so
 * the customers' RFM values are checked against the RFM engine (its own
 * group-by) and the result against 2 threads and small chunks. */
static void test_many_customers_grow_tables(void) {
  tables t = {0};
  char path[512];
  write_random_file(&t, 91, 20000, 1, "many.h5", path, sizeof path);
  same_rfm(path, PE_FEATURES_AS_OF_AUTO, 0);
  pe_features *f1 = compute(path, PE_FEATURES_AS_OF_AUTO, 0, 1);
  pe_features *f2 = compute(path, PE_FEATURES_AS_OF_AUTO, 4099, 2);
  if (f1 && f2) same_result(f1, f2);
  pe_features_free(f1);
  pe_features_free(f2);
  free_tables(&t);
}

/* A customer's categories beyond the few kept in its entry live in a set
 * keyed by the entry's place in the walk's customer table, which moves when
 * the table doubles. Every customer buys from nine categories (more than its entry holds), then
 * buys from the same nine again after all of them have arrived (and the tables have doubled in
 * between): each still counts nine. */
static void test_categories_survive_table_growth(void) {
  tables t = {0};
  enum { CUSTOMERS = 12000, CATS = 9 };
  for (int round = 0; round < 2; round++)
    for (int64_t c = 0; c < CUSTOMERS; c++)
      for (int k = 0; k < CATS; k++)
        push_tx(&t, 500 + 7 * c, 1000 * c + 10 * round + k, T0 + (round * 10 + k) * DAY, 12.5, 0.0f,
                (int32_t)(3 * k + 1));
  char path[512];
  pe_test_path(path, sizeof path, "category_growth.h5");
  CU_ASSERT_FATAL(ft_write(path, t.tx, t.n, t.ss, t.ns, NULL) == 0);
  for (int threads = 1; threads <= 2; threads++) {
    pe_features *f = compute(path, PE_FEATURES_AS_OF_AUTO, 0, threads);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    const int j = pe_features_column_of(f, PE_FEAT_CATEGORIES), d = pe_features_dim(f);
    CU_ASSERT_FATAL(j >= 0);
    PE_ASSERT_EQ_LL(pe_features_count(f), CUSTOMERS);
    int64_t wrong = 0;
    for (int64_t i = 0; i < pe_features_count(f); i++)
      wrong += pe_features_raw(f)[i * d + j] != (float)CATS;
    PE_ASSERT_EQ_LL(wrong, 0);
    pe_features_free(f);
  }
  free_tables(&t);
}

/* Quantiles by selection (and by insertion sort below a few dozen values)
 * equal those of a full sort, ties and all, for every size. */
static void test_quantiles(void) {
  pe_rng rng;
  pe_rng_init(&rng, 11, 0);
  static const double q[] = {0.0, 0.1, 0.25, 0.5, 0.5, 0.9, 1.0};
  const int m = (int)(sizeof q / sizeof q[0]);
  for (int64_t n = 1; n <= 80; n++) {
    double *a = malloc((size_t)n * sizeof *a), *s = malloc((size_t)n * sizeof *s);
    for (int64_t i = 0; i < n; i++) a[i] = s[i] = (double)(pe_rng_below(&rng, 8) + i % 3) * 0.5;
    qsort(s, (size_t)n, sizeof *s, cmp_f64);
    double got[sizeof q / sizeof q[0]];
    pe__feat_quantiles(a, n, q, m, got);
    for (int i = 0; i < m; i++) CU_ASSERT_EQUAL(got[i], sorted_quantile(s, n, q[i]));
    free(a);
    free(s);
  }
}

static CU_TestInfo tests[] = {
    {"quantiles against a full sort", test_quantiles},
    {"RFM from the features pass equals pe_rfm_compute", test_rfm_from_features_pass},
    {"random tables against the oracle, 1 vs 2 threads", test_random_tables},
    {"packed (24-byte) and unpacked records against the oracle", test_packed_records},
    {"heavy customers grow their partition's tables", test_heavy_customers_grow_tables},
    {"many customers grow every partition's tables", test_many_customers_grow_tables},
    {"categories survive the customer table's doubling", test_categories_survive_table_growth},
    {"as-of drops later rows", test_as_of},
    {"transaction-only data", test_transaction_only},
    {"which session a purchase belongs to", test_session_rule},
    {"--features subset and names", test_subset_and_names},
    {"write, read back, rescale", test_write_read},
    {"bad input names file, dataset and row", test_bad_input},
    {"column statistics", test_column_stats},
    {"no category or discount information: left out", test_empty_sources},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv) {
  static const pe_test_suite suites[] = {{"features", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
