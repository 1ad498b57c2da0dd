/* The behaviour of the planted shopper archetypes.
 *
 * Each archetype differs from the others in a few traits that a marketer
 * would name (bounce rate, cart adds without purchase, order count, order
 * value, discount use, time to purchase, season, recency), with overlap in
 * the rest, so that clustering has real but not trivial work to do. */
#include "gen/shopper_model.h"

#include <math.h>

#include "core/civil_time.h"

typedef enum { TIMING_UNIFORM, TIMING_HOLIDAY, TIMING_EARLY } order_timing;

typedef struct {
  pe_archetype archetype;
  double share;
  /* Web sessions. */
  double p_sessions;       /* probability that a customer has any sessions */
  int browse_min;          /* browsing sessions without purchase: min + Poisson(mean) */
  double browse_mean;
  double pages_mean;       /* pageviews of a non-bounced session */
  double bounce_p;         /* share of browsing sessions with one pageview */
  double seconds_per_page; /* mean dwell time */
  double cart_p;           /* browsing sessions that add to cart and leave */
  /* Orders. */
  double p_buyer;          /* probability of ordering at all */
  int orders_min;          /* orders: min + Poisson(mean) */
  double orders_mean;
  double order_value;      /* median net order value (log-normal) */
  double order_sigma;
  double lines_mean;       /* order lines per order */
  double discount_p, discount_lo, discount_hi;
  double return_p;         /* orders with one line returned */
  double purchase_seconds; /* mean time from session start to purchase */
  order_timing timing;
  int categories;          /* distinct categories the customer buys from */
  /* Demographics. */
  double age_mean, income_median;
} shopper_model;

static const shopper_model models[PE_ARCHETYPE_COUNT] = {
    [PE_ARCH_BOUNCER] = {PE_ARCH_BOUNCER, 0.14, 1.0, 1, 0.8, 2.0, 0.92, 8, 0.0,
                         0.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, TIMING_UNIFORM, 1, 33, 30000},
    [PE_ARCH_PASSIVE_BROWSER] = {PE_ARCH_PASSIVE_BROWSER, 0.14, 1.0, 3, 5.0, 9.0, 0.05, 55, 0.03,
                                 0.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, TIMING_UNIFORM, 1, 41, 38000},
    [PE_ARCH_CART_ABANDONER] = {PE_ARCH_CART_ABANDONER, 0.10, 1.0, 2, 3.0, 6.0, 0.08, 40, 0.85,
                                0.15, 1, 0, 45, 0.5, 1.5, 0.1, 0.1, 0.2, 0.05, 900,
                                TIMING_UNIFORM, 2, 35, 42000},
    [PE_ARCH_FIRST_TIME_LOW_AOV] = {PE_ARCH_FIRST_TIME_LOW_AOV, 0.13, 0.85, 0, 0.5, 5.0, 0.3, 35,
                                    0.05, 1.0, 1, 0, 22, 0.4, 1.3, 0.2, 0.1, 0.2, 0.05, 700,
                                    TIMING_UNIFORM, 1, 30, 32000},
    [PE_ARCH_FIRST_TIME_HIGH_AOV] = {PE_ARCH_FIRST_TIME_HIGH_AOV, 0.06, 0.85, 0, 1.0, 12.0, 0.1,
                                     70, 0.05, 1.0, 1, 0, 320, 0.35, 2.0, 0.05, 0.05, 0.1, 0.04,
                                     1500, TIMING_UNIFORM, 2, 46, 85000},
    [PE_ARCH_REPEAT_BUYER] = {PE_ARCH_REPEAT_BUYER, 0.12, 0.85, 2, 4.0, 6.0, 0.15, 40, 0.05,
                              1.0, 6, 6.0, 65, 0.4, 2.2, 0.12, 0.05, 0.2, 0.04, 800,
                              TIMING_UNIFORM, 5, 44, 58000},
    [PE_ARCH_DISCOUNT_HUNTER] = {PE_ARCH_DISCOUNT_HUNTER, 0.10, 0.85, 2, 3.0, 7.0, 0.15, 35, 0.2,
                                 1.0, 2, 3.0, 32, 0.4, 2.5, 0.9, 0.25, 0.5, 0.18, 1000,
                                 TIMING_UNIFORM, 4, 37, 34000},
    [PE_ARCH_IMPULSE_BUYER] = {PE_ARCH_IMPULSE_BUYER, 0.08, 0.85, 0, 1.0, 3.0, 0.2, 20, 0.05,
                               1.0, 2, 2.0, 55, 0.5, 1.2, 0.1, 0.05, 0.15, 0.08, 75,
                               TIMING_UNIFORM, 3, 28, 45000},
    [PE_ARCH_HOLIDAY_SHOPPER] = {PE_ARCH_HOLIDAY_SHOPPER, 0.07, 0.85, 0, 1.5, 7.0, 0.15, 45, 0.1,
                                 1.0, 1, 1.5, 90, 0.45, 2.5, 0.3, 0.1, 0.25, 0.06, 900,
                                 TIMING_HOLIDAY, 3, 42, 52000},
    [PE_ARCH_LAPSED_BUYER] = {PE_ARCH_LAPSED_BUYER, 0.06, 0.85, 1, 2.0, 6.0, 0.15, 40, 0.05,
                              1.0, 4, 4.0, 55, 0.4, 2.0, 0.12, 0.05, 0.2, 0.05, 800, TIMING_EARLY,
                              4, 47, 50000},
};

double pe_gen_archetype_share(pe_archetype a) { return models[a].share; }

enum { CATEGORY_COUNT = 40, MAX_ORDERS = 63, MAX_LINES = 12, MAX_CATEGORIES = 8 };
static const int64_t DAY = 86400;

static int64_t uniform_time(pe_rng *rng, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + (int64_t)pe_rng_below(rng, (uint64_t)(hi - lo));
}

/* A time in the holiday season (Nov 15 - Dec 31) of a year that overlaps the
 * period; the whole period if none does. */
static int64_t holiday_time(pe_rng *rng, const pe_gen_period *p) {
  int64_t first_year, last_year;
  unsigned m, d;
  pe_civil_from_days(p->start / DAY, &first_year, &m, &d);
  pe_civil_from_days((p->end - 1) / DAY, &last_year, &m, &d);
  int64_t lo[64], hi[64];
  int count = 0;
  for (int64_t y = first_year; y <= last_year && count < 64; y++) {
    int64_t s = pe_days_from_civil(y, 11, 15) * DAY, e = pe_days_from_civil(y + 1, 1, 1) * DAY;
    if (s < p->start) s = p->start;
    if (e > p->end) e = p->end;
    if (e - s >= DAY) lo[count] = s, hi[count++] = e;
  }
  if (count == 0) return uniform_time(rng, p->start, p->end);
  int i = (int)pe_rng_below(rng, (uint64_t)count);
  return uniform_time(rng, lo[i], hi[i]);
}

static int64_t order_time(pe_rng *rng, const shopper_model *m, const pe_gen_period *p) {
  switch (m->timing) {
    case TIMING_HOLIDAY: return holiday_time(rng, p);
    case TIMING_EARLY: return uniform_time(rng, p->start, p->start + (p->end - p->start) * 45 / 100);
    default: return uniform_time(rng, p->start, p->end);
  }
}

static double round_cents(double x) { return floor(x * 100.0 + 0.5) / 100.0; }

static void browse_session(pe_gen_block *b, int64_t id, const shopper_model *m,
                           const pe_gen_period *p, pe_rng *rng) {
  int64_t t = m->timing == TIMING_EARLY ? order_time(rng, m, p) : uniform_time(rng, p->start, p->end);
  int32_t pages = 1, carts = 0;
  double duration;
  if (pe_rng_uniform(rng) < m->bounce_p) {
    duration = 2.0 + pe_rng_exponential(rng, 12.0);
  } else {
    pages = 2 + (int32_t)pe_rng_poisson(rng, m->pages_mean - 2 > 0 ? m->pages_mean - 2 : 0.5);
    duration = 0;
    for (int i = 0; i < pages; i++) duration += pe_rng_exponential(rng, m->seconds_per_page);
    if (pe_rng_uniform(rng) < m->cart_p) carts = 1 + (int32_t)pe_rng_poisson(rng, 1.0);
  }
  pe_gen_push_session(b, id, t, pages, (float)duration, carts, 0);
}

void pe_gen_customer(pe_gen_block *b, int64_t slot, int64_t index, int64_t customer_id,
                     pe_archetype a, const pe_gen_period *p, pe_rng *rng) {
  const shopper_model *m = &models[a];
  pe_gen_customers *c = &b->customers;
  c->customer_id[slot] = customer_id;
  c->archetype[slot] = (int32_t)a;
  double age = m->age_mean + 11.0 * pe_rng_normal(rng);
  c->age[slot] = (int16_t)(age < 18 ? 18 : age > 85 ? 85 : age);
  double g = pe_rng_uniform(rng);
  c->gender[slot] = (int8_t)(g < 0.5 ? 0 : g < 0.95 ? 1 : 2);
  c->income[slot] = (float)round_cents(pe_rng_lognormal(rng, log(m->income_median), 0.4));
  /* Regions are skewed like real markets: region r has weight 1/(r+1). */
  double u = pe_rng_uniform(rng) * 3.1032107, acc = 0; /* H_12 */
  int region = 0;
  for (; region < 11; region++) {
    acc += 1.0 / (region + 1);
    if (u < acc) break;
  }
  c->region[slot] = region;

  int has_sessions = p->sessions && pe_rng_uniform(rng) < m->p_sessions;
  int buyer = pe_rng_uniform(rng) < m->p_buyer;
  int orders = buyer ? m->orders_min + (int)pe_rng_poisson(rng, m->orders_mean) : 0;
  if (orders > MAX_ORDERS) orders = MAX_ORDERS;
  int32_t cats[MAX_CATEGORIES];
  int ncat = m->categories < MAX_CATEGORIES ? m->categories : MAX_CATEGORIES;
  for (int i = 0; i < ncat; i++) cats[i] = (int32_t)pe_rng_below(rng, CATEGORY_COUNT);

  if (has_sessions) {
    int browse = m->browse_min + (int)pe_rng_poisson(rng, m->browse_mean);
    if (!buyer && browse == 0) browse = 1; /* a non-buyer is known only through sessions */
    for (int s = 0; s < browse; s++) browse_session(b, customer_id, m, p, rng);
  }

  double revenue = 0;
  for (int o = 0; o < orders; o++) {
    /* Order ids are unique per (customer index, order number). */
    int64_t order_id = index * (MAX_ORDERS + 1) + o + 1;
    int64_t t = order_time(rng, m, p);
    int lines = 1 + (int)pe_rng_poisson(rng, m->lines_mean - 1);
    if (lines > MAX_LINES) lines = MAX_LINES;
    double value = pe_rng_lognormal(rng, log(m->order_value), m->order_sigma);
    float discount = 0;
    if (pe_rng_uniform(rng) < m->discount_p)
      discount = (float)(m->discount_lo + (m->discount_hi - m->discount_lo) * pe_rng_uniform(rng));
    double weights[MAX_LINES], wsum = 0;
    for (int l = 0; l < lines; l++) wsum += weights[l] = 0.2 + pe_rng_exponential(rng, 1.0);
    double line_amount[MAX_LINES];
    int32_t line_cat[MAX_LINES];
    for (int l = 0; l < lines; l++) {
      line_amount[l] = round_cents(value * weights[l] / wsum);
      if (line_amount[l] < 0.5) line_amount[l] = 0.5;
      line_cat[l] = cats[pe_rng_below(rng, (uint64_t)ncat)];
      pe_gen_push_transaction(b, customer_id, order_id, t, line_amount[l], discount, line_cat[l]);
      revenue += line_amount[l];
    }
    if (pe_rng_uniform(rng) < m->return_p) {
      int l = (int)pe_rng_below(rng, (uint64_t)lines);
      int64_t rt = t + DAY + (int64_t)pe_rng_below(rng, 20 * DAY);
      if (rt >= p->end) rt = p->end - 1;
      pe_gen_push_transaction(b, customer_id, order_id, rt, -line_amount[l], discount, line_cat[l]);
      revenue -= line_amount[l];
      b->return_rows++;
    }
    if (has_sessions) {
      /* The purchase happens inside its session: start <= t <= start + duration. */
      double ttp = 15.0 + pe_rng_exponential(rng, m->purchase_seconds);
      int64_t start = t - (int64_t)ttp;
      if (start < p->start) start = p->start;
      double duration = (double)(t - start) + 30.0 + pe_rng_exponential(rng, 90.0);
      int32_t pages = 2 + (int32_t)pe_rng_poisson(rng, m->pages_mean > 2 ? m->pages_mean - 2 : 0.5);
      pe_gen_push_session(b, customer_id, start, pages, (float)duration, lines, 1);
    }
  }
  c->revenue[slot] = revenue;
  c->orders[slot] = orders;
}
