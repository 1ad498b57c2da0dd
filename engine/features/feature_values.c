/* Each feature's formula over one customer's running values, and the rule
 * that says whether the customer has a value of their own or gets the
 * documented fill-in (docs/features.md has the same table in words). */
#include <math.h>

#include "features/features_internal.h"

#define DAY ((double)PE_FEATURES_SECONDS_PER_DAY)

typedef double (*value_fn)(const pe__feat_customer *c, const pe__feat_context *ctx);
typedef int (*has_fn)(const pe__feat_customer *c);

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

static const struct {
  value_fn value;
  has_fn has;
} rules[PE_FEATURE_COUNT] = {
    [PE_FEAT_RECENCY_DAYS] = {recency_days, has_purchase},
    [PE_FEAT_FREQUENCY] = {frequency, has_rows},
    [PE_FEAT_MONETARY] = {monetary, has_rows},
    [PE_FEAT_AOV] = {aov, has_purchase},
    [PE_FEAT_TENURE_DAYS] = {tenure_days, has_purchase},
    [PE_FEAT_DISCOUNT_SHARE] = {discount_share, has_purchase},
    [PE_FEAT_RETURN_RATE] = {return_rate, has_orders},
    [PE_FEAT_CATEGORIES] = {categories, has_rows},
    [PE_FEAT_HOLIDAY_SHARE] = {holiday_share, has_purchase},
    [PE_FEAT_SESSIONS] = {sessions, has_sessions},
    [PE_FEAT_PAGES_PER_SESSION] = {pages_per_session, has_sessions},
    [PE_FEAT_BOUNCE_RATE] = {bounce_rate, has_sessions},
    [PE_FEAT_CART_ADDS] = {cart_adds, has_sessions},
    [PE_FEAT_CART_ABANDONMENT] = {cart_abandonment, has_cart_sessions},
    [PE_FEAT_TIME_TO_PURCHASE_S] = {time_to_purchase, has_matched},
};

void pe__feat_value(pe_feature feature, const pe__feat_customer *c, const pe__feat_context *ctx,
                    float *value, uint8_t *has_value) {
  *value = (float)rules[feature].value(c, ctx);
  *has_value = (uint8_t)rules[feature].has(c);
}

float pe__feat_evidence(pe_feature_evidence_kind kind, const pe__feat_customer *c) {
  switch (kind) {
    case PE_EVIDENCE_PURCHASES: return (float)c->purchases;
    case PE_EVIDENCE_ORDERS: return (float)c->orders;
    case PE_EVIDENCE_SESSIONS: return (float)c->sessions;
    case PE_EVIDENCE_CART_SESSIONS: return (float)c->cart_sessions;
    default: return 0.0f;
  }
}
