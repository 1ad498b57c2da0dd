/* Each feature's formula over one customer's running values, and the rule
 * that says whether the customer has a value of their own or gets the
 * documented fill-in (docs/features.md has the same table in words). */
#include <math.h>

#include "features/features_internal.h"

#define DAY ((double)PE_FEATURES_SECONDS_PER_DAY)

static double ratio(double num, double den) {
  return den > 0 ? num / den : 0.0;
}

static int has_rows(const pe__feat_customer *c) {
  return c->rows > 0;
}
static int has_orders(const pe__feat_customer *c) {
  return c->orders > 0;
}
static int has_purchase(const pe__feat_customer *c) {
  return c->purchases > 0;
}
static int has_sessions(const pe__feat_customer *c) {
  return c->sessions > 0;
}
static int has_cart_sessions(const pe__feat_customer *c) {
  return c->cart_sessions > 0;
}
static int has_matched(const pe__feat_customer *c) {
  return c->matched > 0;
}

/* Whole days, as RFM counts them. */
static double recency_days(const pe__feat_customer *c, const pe__feat_context *x) {
  return c->purchases > 0 ? floor((double)(x->as_of - c->last_ts) / DAY) : x->no_purchase_recency;
}
static double frequency(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->purchases;
}
static double monetary(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->monetary;
}
static double aov(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->monetary, c->purchases);
}
static double tenure_days(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->purchases > 0 ? floor((double)(c->last_ts - c->first_ts) / DAY) : 0.0;
}
static double discount_share(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->discounted, c->purchases);
}
static double return_rate(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->returned, c->orders);
}
static double categories(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->categories;
}
static double holiday_share(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->holiday, c->purchases);
}
static double sessions(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->sessions;
}
static double pages_per_session(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio((double)c->pageviews, c->sessions);
}
static double bounce_rate(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->bounces, c->sessions);
}
static double cart_adds(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return (double)c->cart_adds;
}
static double cart_abandonment(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return ratio(c->abandoned, c->cart_sessions);
}
static double time_to_purchase(const pe__feat_customer *c, const pe__feat_context *x) {
  (void)x;
  return c->matched > 0 ? c->time_to_purchase : 0.0;
}

/* A switch rather than a table of function pointers: the compiler inlines
 * every formula into the row loop (15M values at 1M customers). */
static inline double value_of(pe_feature feature, const pe__feat_customer *c,
                              const pe__feat_context *x) {
  switch (feature) {
    case PE_FEAT_RECENCY_DAYS: return recency_days(c, x);
    case PE_FEAT_FREQUENCY: return frequency(c, x);
    case PE_FEAT_MONETARY: return monetary(c, x);
    case PE_FEAT_AOV: return aov(c, x);
    case PE_FEAT_TENURE_DAYS: return tenure_days(c, x);
    case PE_FEAT_DISCOUNT_SHARE: return discount_share(c, x);
    case PE_FEAT_RETURN_RATE: return return_rate(c, x);
    case PE_FEAT_CATEGORIES: return categories(c, x);
    case PE_FEAT_HOLIDAY_SHARE: return holiday_share(c, x);
    case PE_FEAT_SESSIONS: return sessions(c, x);
    case PE_FEAT_PAGES_PER_SESSION: return pages_per_session(c, x);
    case PE_FEAT_BOUNCE_RATE: return bounce_rate(c, x);
    case PE_FEAT_CART_ADDS: return cart_adds(c, x);
    case PE_FEAT_CART_ABANDONMENT: return cart_abandonment(c, x);
    case PE_FEAT_TIME_TO_PURCHASE_S: return time_to_purchase(c, x);
    default: return 0.0;
  }
}

static inline int has_value_of(pe_feature feature, const pe__feat_customer *c) {
  switch (feature) {
    case PE_FEAT_FREQUENCY:
    case PE_FEAT_MONETARY:
    case PE_FEAT_CATEGORIES: return has_rows(c);
    case PE_FEAT_RETURN_RATE: return has_orders(c);
    case PE_FEAT_RECENCY_DAYS:
    case PE_FEAT_AOV:
    case PE_FEAT_TENURE_DAYS:
    case PE_FEAT_DISCOUNT_SHARE:
    case PE_FEAT_HOLIDAY_SHARE: return has_purchase(c);
    case PE_FEAT_SESSIONS:
    case PE_FEAT_PAGES_PER_SESSION:
    case PE_FEAT_BOUNCE_RATE:
    case PE_FEAT_CART_ADDS: return has_sessions(c);
    case PE_FEAT_CART_ABANDONMENT: return has_cart_sessions(c);
    case PE_FEAT_TIME_TO_PURCHASE_S: return has_matched(c);
    default: return 0;
  }
}

static inline float evidence_of(pe_feature_evidence_kind kind, const pe__feat_customer *c) {
  switch (kind) {
    case PE_EVIDENCE_PURCHASES: return (float)c->purchases;
    case PE_EVIDENCE_ORDERS: return (float)c->orders;
    case PE_EVIDENCE_SESSIONS: return (float)c->sessions;
    case PE_EVIDENCE_CART_SESSIONS: return (float)c->cart_sessions;
    default: return 0.0f;
  }
}

void pe__feat_row(const pe_feature *columns, const pe_feature_evidence_kind *evidence, int d,
                  const pe__feat_customer *c, const pe__feat_context *ctx, float *value,
                  uint8_t *has_value, float *evidence_count) {
  for (int j = 0; j < d; j++) {
    value[j] = (float)value_of(columns[j], c, ctx);
    has_value[j] = (uint8_t)has_value_of(columns[j], c);
    evidence_count[j] = evidence_of(evidence[j], c);
  }
}
