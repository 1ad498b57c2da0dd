/* The archetype rule table: which traits of a group's profile make it look
 * like each archetype (docs/personas.md explains every rule).
 *
 * A rule is a weighted list of terms. Each term reads one signal of the
 * group and scores it tanh(direction * (value - threshold) / width): +1 well
 * past the threshold in the wanted direction, -1 well on the other side, 0 at
 * the threshold. The archetype's score is the weighted mean of its terms, so
 * it lies in -1..1 and scores of different archetypes are comparable. Terms
 * whose feature is undefined for the group (no such column, or nobody in the
 * feature's population) are left out of the mean. */
#include <math.h>

#include "persona/persona_internal.h"

typedef enum {
  SIG_BUYER_SHARE,      /* share of the group with at least one order, 0..1 */
  SIG_ORDERS_PER_BUYER, /* mean orders of the customers who ordered */
  SIG_ABS,              /* the feature's typical value in its own units */
  SIG_REL               /* log2 of the typical value against the base: +1 = twice */
} signal_kind;

typedef struct {
  signal_kind kind;
  pe_feature feature; /* for SIG_ABS and SIG_REL */
  int direction;      /* +1: higher is more like the archetype, -1: lower */
  double threshold, width, weight;
} rule_term;

enum { MAX_TERMS = 5 };

typedef struct {
  int needs_sessions;
  pe_feature key_feature; /* without this column the archetype is not offered */
  rule_term terms[MAX_TERMS];
} archetype_rule;

#define BUYERS_HIGH \
  { SIG_BUYER_SHARE, 0, +1, 0.5, 0.15, 1.0 }
#define BUYERS_LOW(t) \
  { SIG_BUYER_SHARE, 0, -1, t, 0.1, 2.0 }

static const archetype_rule rules[PE_ARCHETYPE_COUNT] = {
    /* Lands, sees one page, leaves; never buys. */
    [PE_ARCH_BOUNCER] = {1,
                         PE_FEAT_BOUNCE_RATE,
                         {BUYERS_LOW(0.25),
                          {SIG_ABS, PE_FEAT_BOUNCE_RATE, +1, 0.5, 0.15, 3.0},
                          {SIG_REL, PE_FEAT_PAGES_PER_SESSION, -1, -0.3, 0.3, 1.0}}},
    /* Comes back often and reads many pages, but neither carts nor buys. */
    [PE_ARCH_PASSIVE_BROWSER] = {1,
                                 PE_FEAT_PAGES_PER_SESSION,
                                 {BUYERS_LOW(0.25),
                                  {SIG_ABS, PE_FEAT_BOUNCE_RATE, -1, 0.35, 0.15, 1.0},
                                  {SIG_REL, PE_FEAT_SESSIONS, +1, 0.5, 0.5, 1.0},
                                  {SIG_REL, PE_FEAT_PAGES_PER_SESSION, +1, 0.3, 0.3, 1.0},
                                  {SIG_ABS, PE_FEAT_CART_ABANDONMENT, -1, 0.6, 0.2, 1.0}}},
    /* Fills carts and leaves them; seldom completes an order. */
    [PE_ARCH_CART_ABANDONER] = {1,
                                PE_FEAT_CART_ABANDONMENT,
                                {{SIG_ABS, PE_FEAT_CART_ABANDONMENT, +1, 0.6, 0.15, 3.0},
                                 {SIG_REL, PE_FEAT_CART_ADDS, +1, 0.5, 0.5, 1.0},
                                 {SIG_BUYER_SHARE, 0, -1, 0.6, 0.2, 1.0}}},
    /* One small order. */
    [PE_ARCH_FIRST_TIME_LOW_AOV] = {0,
                                    PE_FEAT_FREQUENCY,
                                    {BUYERS_HIGH,
                                     {SIG_ORDERS_PER_BUYER, 0, -1, 1.7, 0.3, 2.0},
                                     {SIG_REL, PE_FEAT_AOV, -1, -0.3, 0.4, 2.0}}},
    /* One large order. */
    [PE_ARCH_FIRST_TIME_HIGH_AOV] = {0,
                                     PE_FEAT_FREQUENCY,
                                     {BUYERS_HIGH,
                                      {SIG_ORDERS_PER_BUYER, 0, -1, 1.7, 0.3, 2.0},
                                      {SIG_REL, PE_FEAT_AOV, +1, 0.8, 0.4, 2.0}}},
    /* Orders often and recently, across categories. */
    [PE_ARCH_REPEAT_BUYER] = {0,
                              PE_FEAT_FREQUENCY,
                              {BUYERS_HIGH,
                               {SIG_ORDERS_PER_BUYER, 0, +1, 5.0, 2.0, 2.0},
                               {SIG_REL, PE_FEAT_RECENCY_DAYS, -1, -0.5, 0.5, 1.0},
                               {SIG_REL, PE_FEAT_CATEGORIES, +1, 0.3, 0.3, 1.0}}},
    /* Most orders carry a discount. */
    [PE_ARCH_DISCOUNT_HUNTER] = {0,
                                 PE_FEAT_DISCOUNT_SHARE,
                                 {BUYERS_HIGH,
                                  {SIG_ABS, PE_FEAT_DISCOUNT_SHARE, +1, 0.5, 0.15, 3.0},
                                  {SIG_ABS, PE_FEAT_RETURN_RATE, +1, 0.1, 0.08, 0.5}}},
    /* Buys within a minute or two of arriving, after few pages. */
    [PE_ARCH_IMPULSE_BUYER] = {1,
                               PE_FEAT_TIME_TO_PURCHASE_S,
                               {BUYERS_HIGH,
                                {SIG_REL, PE_FEAT_TIME_TO_PURCHASE_S, -1, -1.0, 0.5, 3.0},
                                {SIG_REL, PE_FEAT_PAGES_PER_SESSION, -1, -0.3, 0.3, 1.0}}},
    /* Orders in November and December. */
    [PE_ARCH_HOLIDAY_SHOPPER] = {0,
                                 PE_FEAT_HOLIDAY_SHARE,
                                 {BUYERS_HIGH,
                                  {SIG_ABS, PE_FEAT_HOLIDAY_SHARE, +1, 0.5, 0.15, 3.0}}},
    /* Bought several times, then stopped. */
    [PE_ARCH_LAPSED_BUYER] = {0,
                              PE_FEAT_RECENCY_DAYS,
                              {BUYERS_HIGH,
                               {SIG_REL, PE_FEAT_RECENCY_DAYS, +1, 0.5, 0.3, 3.0},
                               {SIG_ORDERS_PER_BUYER, 0, +1, 2.5, 0.7, 2.0}}},
};

int pe__archetype_offered(pe_archetype a, const pe__profile *base, int has_sessions) {
  if ((unsigned)a >= PE_ARCHETYPE_COUNT) return 0;
  const archetype_rule *r = &rules[a];
  if (r->needs_sessions && !has_sessions) return 0;
  /* The key feature must vary: a discount column that is 0 everywhere (no
   * discount data) cannot reveal discount hunters. */
  return base->has[r->key_feature] && base->pop[r->key_feature] > 0 &&
         base->tsd[r->key_feature] > 0;
}

/* The term's signal for the group, or NAN when it is undefined. */
static double signal_value(const rule_term *t, const pe__profile *g, const pe__profile *base) {
  switch (t->kind) {
    case SIG_BUYER_SHARE: return g->customers > 0 ? pe__profile_buyer_share(g) : NAN;
    case SIG_ORDERS_PER_BUYER:
      return g->has[PE_FEAT_FREQUENCY] && g->buyers > 0 ? g->orders_per_buyer : NAN;
    case SIG_ABS:
      return g->has[t->feature] && g->pop[t->feature] > 0 ? pe__profile_typical(g, t->feature)
                                                          : NAN;
    case SIG_REL:
      if (!g->has[t->feature] || g->pop[t->feature] == 0 || base->pop[t->feature] == 0) return NAN;
      /* For log1p features the difference of mean log1p values is the log of
       * the ratio of typical values (each plus one). */
      return (g->tmean[t->feature] - base->tmean[t->feature]) / log(2.0);
  }
  return NAN;
}

double pe__archetype_score(pe_archetype a, const pe__profile *group, const pe__profile *base) {
  if ((unsigned)a >= PE_ARCHETYPE_COUNT) return -1.0;
  double sum = 0, weights = 0;
  for (int i = 0; i < MAX_TERMS; i++) {
    const rule_term *t = &rules[a].terms[i];
    if (t->weight <= 0) break;
    const double x = signal_value(t, group, base);
    if (isnan(x)) continue;
    sum += t->weight * tanh(t->direction * (x - t->threshold) / t->width);
    weights += t->weight;
  }
  return weights > 0 ? sum / weights : -1.0;
}
