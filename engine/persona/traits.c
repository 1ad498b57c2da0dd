/* Defining traits in plain words: the features in which a group differs most
 * from the whole customer base (by standardised deviation of the mean of the
 * log1p-or-linear value), phrased from a per-feature table with the group's
 * number against the base's. */
#include <math.h>
#include <stdio.h>

#include "persona/persona_internal.h"

typedef enum { PHRASE_RATIO, PHRASE_SHARE } phrase_kind;

/* RATIO formats take (factor, group mean, base mean); SHARE formats take
 * (group percent, base percent). */
typedef struct {
  phrase_kind kind;
  const char *higher, *lower;
} trait_phrase;

static const trait_phrase phrases[PE_FEATURE_COUNT] = {
    [PE_FEAT_RECENCY_DAYS] = {PHRASE_RATIO,
                              "last bought %.1f× longer ago than the average buyer "
                              "(%.0f vs %.0f days)",
                              "bought %.1f× more recently than the average buyer "
                              "(%.0f vs %.0f days ago)"},
    [PE_FEAT_FREQUENCY] = {PHRASE_RATIO,
                           "orders %.1f× as often as the average customer (%.1f vs %.1f orders)",
                           "orders %.1f× less often than the average customer "
                           "(%.1f vs %.1f orders)"},
    [PE_FEAT_MONETARY] = {PHRASE_RATIO,
                          "spends %.1f× as much as the average customer (%.0f vs %.0f)",
                          "spends %.1f× less than the average customer (%.0f vs %.0f)"},
    [PE_FEAT_AOV] = {PHRASE_RATIO, "orders are %.1f× the average order value (%.0f vs %.0f)",
                     "orders are %.1f× smaller than the average order (%.0f vs %.0f)"},
    [PE_FEAT_TENURE_DAYS] = {PHRASE_RATIO,
                             "has bought over a %.1f× longer span than the average buyer "
                             "(%.0f vs %.0f days from first to last order)",
                             "has bought over a %.1f× shorter span than the average buyer "
                             "(%.0f vs %.0f days from first to last order)"},
    [PE_FEAT_DISCOUNT_SHARE] = {PHRASE_SHARE, "%.0f%% of orders use a discount (vs %.0f%% overall)",
                                "only %.0f%% of orders use a discount (vs %.0f%% overall)"},
    [PE_FEAT_RETURN_RATE] = {PHRASE_SHARE, "%.0f%% of orders have a return (vs %.0f%% overall)",
                             "only %.0f%% of orders have a return (vs %.0f%% overall)"},
    [PE_FEAT_CATEGORIES] = {PHRASE_RATIO,
                            "buys from %.1f× as many categories as average (%.1f vs %.1f)",
                            "buys from %.1f× fewer categories than average (%.1f vs %.1f)"},
    [PE_FEAT_HOLIDAY_SHARE] = {PHRASE_SHARE,
                               "%.0f%% of orders fall in November-December (vs %.0f%% overall)",
                               "only %.0f%% of orders fall in November-December "
                               "(vs %.0f%% overall)"},
    [PE_FEAT_SESSIONS] = {PHRASE_RATIO,
                          "visits %.1f× as often as the average customer (%.1f vs %.1f sessions)",
                          "visits %.1f× less often than the average customer "
                          "(%.1f vs %.1f sessions)"},
    [PE_FEAT_PAGES_PER_SESSION] = {PHRASE_RATIO,
                                   "views %.1f× as many pages per visit as average "
                                   "(%.1f vs %.1f)",
                                   "views %.1f× fewer pages per visit than average (%.1f vs %.1f)"},
    [PE_FEAT_BOUNCE_RATE] = {PHRASE_SHARE,
                             "%.0f%% of visits end after one page (vs %.0f%% overall)",
                             "only %.0f%% of visits end after one page (vs %.0f%% overall)"},
    [PE_FEAT_CART_ADDS] = {PHRASE_RATIO,
                           "adds %.1f× as many items to the cart as average (%.1f vs %.1f)",
                           "adds %.1f× fewer items to the cart than average (%.1f vs %.1f)"},
    [PE_FEAT_CART_ABANDONMENT] = {PHRASE_SHARE,
                                  "%.0f%% of visits with a filled cart end without a purchase "
                                  "(vs %.0f%% overall)",
                                  "only %.0f%% of visits with a filled cart end without a "
                                  "purchase (vs %.0f%% overall)"},
    [PE_FEAT_TIME_TO_PURCHASE_S] = {PHRASE_RATIO,
                                    "takes %.1f× longer than average to decide (%.0f vs %.0f s "
                                    "from arrival to purchase)",
                                    "buys %.1f× faster than average (%.0f vs %.0f s from "
                                    "arrival to purchase)"},
};

/* A trait candidate: a feature, or the share of customers who ever ordered. */
enum { BUYER_SHARE_TRAIT = PE_FEATURE_COUNT, CANDIDATES };

double pe__trait_z(const pe__profile *g, const pe__profile *base, pe_feature f) {
  if (!g->has[f] || g->pop[f] == 0 || base->pop[f] == 0 || !(base->tsd[f] > 0)) return 0.0;
  return (g->tmean[f] - base->tmean[f]) / base->tsd[f];
}

static double buyer_share_z(const pe__profile *g, const pe__profile *base) {
  const double pb = pe__profile_buyer_share(base), pg = pe__profile_buyer_share(g);
  const double sd = sqrt(pb * (1 - pb));
  return sd > 0 ? (pg - pb) / sd : 0.0;
}

/* A feature is worth phrasing for a group only when enough of the group is in
 * its population and the group's mean is not ~0 (then "never ordered", the
 * buyer-share trait, says it better than "0.0 vs 2.9 orders"). */
static int phrasable(const pe__profile *g, const pe__profile *base, pe_feature f) {
  if (!g->has[f] || g->pop[f] == 0 || !(base->tsd[f] > 0)) return 0;
  if (g->pop[f] < 20 && g->pop[f] < g->customers) return 0;
  if ((double)g->pop[f] < 0.1 * (double)g->customers) return 0;
  if (phrases[f].kind == PHRASE_RATIO && !(g->mean[f] > 0.05 * base->mean[f])) return 0;
  return base->mean[f] > 0 || phrases[f].kind == PHRASE_SHARE;
}

static void phrase(const pe__profile *g, const pe__profile *base, int c, char *out, size_t size) {
  if (c == BUYER_SHARE_TRAIT) {
    snprintf(out, size, "%.0f%% have ever placed an order (vs %.0f%% overall)",
             100.0 * pe__profile_buyer_share(g), 100.0 * pe__profile_buyer_share(base));
    return;
  }
  const trait_phrase *p = &phrases[c];
  const double gm = g->mean[c], bm = base->mean[c];
  if (p->kind == PHRASE_SHARE) {
    snprintf(out, size, gm >= bm ? p->higher : p->lower, 100.0 * gm, 100.0 * bm);
  } else if (gm >= bm) {
    snprintf(out, size, p->higher, gm / bm, gm, bm);
  } else {
    snprintf(out, size, p->lower, bm / gm, gm, bm);
  }
}

int pe__traits_phrase(const pe__profile *g, const pe__profile *base, int max_traits,
                      char (*out)[192], size_t size) {
  double z[CANDIDATES];
  int usable[CANDIDATES];
  for (int f = 0; f < PE_FEATURE_COUNT; f++) {
    usable[f] = phrasable(g, base, (pe_feature)f);
    z[f] = usable[f] ? pe__trait_z(g, base, (pe_feature)f) : 0.0;
  }
  usable[BUYER_SHARE_TRAIT] = base->buyers < base->customers && g->customers > 0;
  z[BUYER_SHARE_TRAIT] = usable[BUYER_SHARE_TRAIT] ? buyer_share_z(g, base) : 0.0;
  if (max_traits > PE_PERSONA_MAX_TRAITS) max_traits = PE_PERSONA_MAX_TRAITS;
  /* Strongest first: at least three, and further ones while they still
   * deviate by a third of a standard deviation. */
  int count = 0;
  while (count < max_traits) {
    int best = -1;
    for (int c = 0; c < CANDIDATES; c++)
      if (usable[c] && (best < 0 || fabs(z[c]) > fabs(z[best]))) best = c;
    if (best < 0 || (count >= 3 && fabs(z[best]) < 0.33)) break;
    usable[best] = 0;
    phrase(g, base, best, out[count], size);
    count++;
  }
  return count;
}
