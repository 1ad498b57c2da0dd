/* pe_persona_describe: profiles -> archetype scores -> optimal assignment ->
 * names, traits, sizes, RFM mix, demographics and focus. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "personae/rfm.h"
#include "persona/persona_internal.h"

pe_persona_params pe_persona_params_default(void) {
  pe_persona_params p = {.focus_revenue_share = 0.8, .max_traits = 5};
  return p;
}

static const char *const age_band_labels[PE_PERSONA_AGE_BANDS] = {"18-24", "25-34", "35-44",
                                                                  "45-54", "55-64", "65+"};

const char *pe_persona_age_band_label(int band) {
  return band >= 0 && band < PE_PERSONA_AGE_BANDS ? age_band_labels[band] : "";
}

static int age_band(int age) {
  static const int upper[PE_PERSONA_AGE_BANDS - 1] = {25, 35, 45, 55, 65};
  int b = 0;
  while (b < PE_PERSONA_AGE_BANDS - 1 && age >= upper[b]) b++;
  return b;
}

static pe_status check_input(const pe_persona_input *in, const pe_persona_params *p) {
  PE_FAIL_IF(!in || !p, PE_ERR_USAGE, "describe: no input or parameters given");
  PE_FAIL_IF(in->n < 1 || !in->raw || !in->labels, PE_ERR_USAGE,
             "describe: there are no customers to describe");
  PE_FAIL_IF(in->d < 1 || !in->columns, PE_ERR_USAGE, "describe: no feature columns given");
  PE_FAIL_IF(in->k < 1, PE_ERR_USAGE, "describe: k must be at least 1 (got %d)", in->k);
  PE_FAIL_IF(!(p->focus_revenue_share > 0 && p->focus_revenue_share <= 1), PE_ERR_USAGE,
             "describe: focus_revenue_share must be in (0, 1]");
  PE_FAIL_IF(p->max_traits < 3 || p->max_traits > PE_PERSONA_MAX_TRAITS, PE_ERR_USAGE,
             "describe: max_traits must be 3..%d", PE_PERSONA_MAX_TRAITS);
  for (int c = 0; c < in->d; c++)
    PE_FAIL_IF((unsigned)in->columns[c] >= PE_FEATURE_COUNT, PE_ERR_USAGE,
               "describe: column %d names feature %d, which does not exist", c,
               (int)in->columns[c]);
  for (int64_t i = 0; i < in->n; i++)
    PE_FAIL_IF(in->labels[i] < 0 || in->labels[i] >= in->k, PE_ERR_DATA,
               "/kmeans/labels: customer row %lld has cluster %d, outside 0..%d", (long long)i,
               (int)in->labels[i], in->k - 1);
  const int64_t values = in->n * in->d;
  for (int64_t i = 0; i < values; i++)
    PE_FAIL_IF(!isfinite(in->raw[i]), PE_ERR_DATA,
               "/features/raw: customer row %lld, column %lld (%s) is not finite",
               (long long)(i / in->d), (long long)(i % in->d),
               pe__feature_key(in->columns[i % in->d]));
  return PE_OK;
}

/* "high value" ... "low value" for clusters sharing an archetype, ranked by
 * revenue per customer. */
static void qualify_duplicates(pe__persona_entry *e, int k, const pe__profile *prof) {
  for (int a = 0; a < PE_ARCHETYPE_COUNT; a++) {
    int members[256], count = 0;
    for (int c = 0; c < k && count < 256; c++)
      if (e[c].pub.archetype == (pe_archetype)a) members[count++] = c;
    for (int i = 1; i < count; i++) /* insertion sort, best value first, stable */
      for (int j = i; j > 0; j--) {
        const pe__profile *x = &prof[members[j]], *y = &prof[members[j - 1]];
        const double vx = x->customers ? x->revenue / (double)x->customers : 0;
        const double vy = y->customers ? y->revenue / (double)y->customers : 0;
        if (!(vx > vy)) break;
        const int t = members[j];
        members[j] = members[j - 1];
        members[j - 1] = t;
      }
    for (int r = 0; r < count; r++) {
      pe__persona_entry *p = &e[members[r]];
      snprintf(p->name, sizeof p->name, "%s", pe__persona_name((pe_archetype)a, r));
      if (count == 1)
        p->qualifier[0] = '\0';
      else if (r == 0)
        snprintf(p->qualifier, sizeof p->qualifier, "high value");
      else if (r == count - 1)
        snprintf(p->qualifier, sizeof p->qualifier, "low value");
      else if (count == 3)
        snprintf(p->qualifier, sizeof p->qualifier, "mid value");
      else
        snprintf(p->qualifier, sizeof p->qualifier, "mid value %d", r);
    }
  }
}

/* Income medians come from a log-spaced histogram (2.3% wide bins): exact
 * enough for a persona card, and one pass with no per-cluster copies. */
enum { INCOME_BINS = 400 };
static const double income_log_lo = 0.0, income_log_hi = 8.0; /* 1 .. 1e8 */

static int income_bin(double income) {
  /* Beyond the top (or not finite) goes to the last bin: no cast of inf. */
  if (!(income < 1e8)) return INCOME_BINS - 1;
  const double l = log10(income > 1 ? income : 1);
  int b = (int)((l - income_log_lo) / (income_log_hi - income_log_lo) * INCOME_BINS);
  return b < 0 ? 0 : b >= INCOME_BINS ? INCOME_BINS - 1 : b;
}

enum { REGION_CODES = 256 };

/* Per-persona counts of one pass over the customers: the RFM segment mix,
 * the R x F grid, age bands and the ages' sum, income bins and regions. All
 * are integers, kept as one row of TALLY_WIDTH counts per persona, so that
 * the threads' tallies add up, in one loop, to the same totals in any order. */
enum {
  TALLY_AGE_N = 0,
  TALLY_AGE_KNOWN = TALLY_AGE_N + PE_PERSONA_AGE_BANDS,
  TALLY_AGE_SUM,
  TALLY_INCOME,
  TALLY_REGION = TALLY_INCOME + INCOME_BINS,
  TALLY_RF_GRID = TALLY_REGION + REGION_CODES,
  TALLY_RFM_MIX = TALLY_RF_GRID + 25 /* then one count per segment */
};

static void tally_customer(const pe_persona_input *in, const pe_persona_report *r, int64_t i,
                           size_t width, int64_t *counts) {
  int64_t *t = counts + (size_t)in->labels[i] * width;
  if (r->has_rfm) {
    const int s = in->rfm_segment[i];
    if (s >= 0 && s < r->rfm_segment_count) t[TALLY_RFM_MIX + s]++;
    if (in->rfm_r && in->rfm_f && in->rfm_r[i] > 0 && in->rfm_f[i] > 0) {
      const int rr = pe_rfm_rescale_to_5(in->rfm_r[i], in->rfm_bins) - 1;
      const int ff = pe_rfm_rescale_to_5(in->rfm_f[i], in->rfm_bins) - 1;
      if (rr >= 0 && rr < 5 && ff >= 0 && ff < 5) t[TALLY_RF_GRID + rr * 5 + ff]++;
    }
  }
  if (in->age && in->age[i] > 0 && in->age[i] <= 120) {
    t[TALLY_AGE_N + age_band(in->age[i])]++;
    t[TALLY_AGE_SUM] += in->age[i];
    t[TALLY_AGE_KNOWN]++;
  }
  if (in->income && in->income[i] >= 0) t[TALLY_INCOME + income_bin(in->income[i])]++;
  if (in->region && in->region[i] >= 0 && in->region[i] < REGION_CODES)
    t[TALLY_REGION + in->region[i]]++;
}

/* The persona's most over-represented region (see pe_persona). Compared in
 * integers, so that a lift of exactly 5/4 or a share of exactly 1/20 is in,
 * and ties (the lower code wins) do not depend on rounding: the counts are
 * at most the number of customers, whose products fit in 64 bits below
 * 10^9 customers. */
_Static_assert(PE_PERSONA_REGION_LIFT == 5.0 / 4.0, "the lift test below is 4 * ... >= 5 * ...");
_Static_assert(PE_PERSONA_REGION_MIN_SHARE == 1.0 / 20.0, "the share test below is 20 * n >= total");
static void set_standout_region(pe_persona *p, const int64_t *region_n, int64_t region_total,
                                const int64_t *base_region, int64_t base_total) {
  p->standout_region = -1;
  p->standout_region_share = p->standout_region_base_share = 0.0;
  if (region_total <= 0 || base_total <= 0) return;
  int best = -1;
  for (int g = 0; g < REGION_CODES; g++) {
    const int64_t n = region_n[g], base = base_region[g];
    if (n < PE_PERSONA_REGION_MIN_CUSTOMERS || base <= 0 || 20 * n < region_total ||
        4 * n * base_total < 5 * base * region_total)
      continue;
    /* n / base > best's: the totals cancel. */
    if (best < 0 || n * base_region[best] > region_n[best] * base) best = g;
  }
  if (best < 0) return;
  p->standout_region = best;
  p->standout_region_share = (double)region_n[best] / (double)region_total;
  p->standout_region_base_share = (double)base_region[best] / (double)base_total;
}

static pe_status add_counts(const pe_persona_input *in, pe_persona_report *r) {
  const int k = in->k;
  const size_t width = TALLY_RFM_MIX + (size_t)(r->has_rfm ? r->rfm_segment_count : 0);
  const size_t cells = (size_t)k * width;
  int64_t *all = calloc(cells, sizeof *all);
  PE_FAIL_IF(!all, PE_ERR_NOMEM, "describe: out of memory for the per-persona counts");
  int64_t base_region[REGION_CODES] = {0}, base_total = 0;
  int failed = 0;
#pragma omp parallel if (in->n >= 65536) reduction(| : failed)
  {
    int64_t *mine = calloc(cells, sizeof *mine);
    failed = !mine;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < in->n; i++)
      if (mine) tally_customer(in, r, i, width, mine);
#pragma omp critical(pe_describe_tally)
    for (size_t j = 0; mine && j < cells; j++) all[j] += mine[j];
    free(mine);
  }
  pe_status st = PE_OK;
  if (failed) {
    st = pe__fail(PE_ERR_NOMEM, "describe: out of memory for the per-persona counts");
    goto done;
  }
  for (int c = 0; c < k; c++) {
    const int64_t *t = all + (size_t)c * width;
    for (int g = 0; g < 25; g++) r->entries[c].rf_grid[g / 5][g % 5] = t[TALLY_RF_GRID + g];
    for (int s = 0; r->has_rfm && s < r->rfm_segment_count; s++)
      r->rfm_mix[(size_t)c * r->rfm_segment_count + s] = t[TALLY_RFM_MIX + s];
  }
  if (!r->has_demographics) goto done;
  /* The whole base's region counts, for each persona's over-representation. */
  for (int c = 0; c < k; c++)
    for (int g = 0; g < REGION_CODES; g++) {
      base_region[g] += all[(size_t)c * width + TALLY_REGION + (size_t)g];
      base_total += all[(size_t)c * width + TALLY_REGION + (size_t)g];
    }
  for (int c = 0; c < k; c++) {
    pe_persona *p = &r->entries[c].pub;
    const int64_t *row = all + (size_t)c * width;
    const int64_t *income_hist = row + TALLY_INCOME, *region_n = row + TALLY_REGION;
    const int64_t age_known = row[TALLY_AGE_KNOWN];
    p->age_known = age_known > 0;
    for (int b = 0; b < PE_PERSONA_AGE_BANDS; b++)
      p->age_band_share[b] = age_known ? (double)row[TALLY_AGE_N + b] / (double)age_known : 0.0;
    p->mean_age = age_known ? (double)row[TALLY_AGE_SUM] / (double)age_known : 0.0;
    int64_t total = 0, seen = 0;
    for (int b = 0; b < INCOME_BINS; b++) total += income_hist[b];
    p->median_income = 0;
    for (int b = 0; b < INCOME_BINS && total > 0; b++) {
      seen += income_hist[b];
      if (2 * seen >= total) {
        const double mid =
            income_log_lo + (b + 0.5) * (income_log_hi - income_log_lo) / INCOME_BINS;
        p->median_income = pow(10.0, mid);
        break;
      }
    }
    p->income_known = total > 0;
    int64_t region_total = 0;
    for (int g = 0; g < REGION_CODES; g++) region_total += region_n[g];
    p->has_demographics = p->age_known || p->income_known || region_total > 0;
    for (int t = 0; t < PE_PERSONA_TOP_REGIONS; t++) {
      int best = -1;
      for (int g = 0; g < REGION_CODES; g++) {
        int taken = 0;
        for (int u = 0; u < t; u++) taken |= p->top_regions[u] == g;
        const int64_t v = region_n[g];
        if (!taken && v > 0 && (best < 0 || v > region_n[best])) best = g;
      }
      p->top_regions[t] = best;
      p->top_region_share[t] =
          best >= 0 && region_total > 0 ? (double)region_n[best] / (double)region_total : 0.0;
      p->top_region_base_share[t] =
          best >= 0 && base_total > 0 ? (double)base_region[best] / (double)base_total : 0.0;
    }
    set_standout_region(p, region_n, region_total, base_region, base_total);
  }
done:
  free(all);
  return st;
}

static pe_status copy_segment_names(const pe_persona_input *in, pe_persona_report *r) {
  r->rfm_segment_count = in->rfm_segment_count;
  r->rfm_segment_names = calloc((size_t)in->rfm_segment_count, sizeof *r->rfm_segment_names);
  r->rfm_mix = calloc((size_t)in->k * (size_t)in->rfm_segment_count, sizeof *r->rfm_mix);
  PE_FAIL_IF(!r->rfm_segment_names || !r->rfm_mix, PE_ERR_NOMEM, "describe: out of memory");
  for (int s = 0; s < in->rfm_segment_count; s++) {
    const char *name =
        in->rfm_segment_names && in->rfm_segment_names[s] ? in->rfm_segment_names[s] : "Unnamed";
    r->rfm_segment_names[s] = strdup(name);
    PE_FAIL_IF(!r->rfm_segment_names[s], PE_ERR_NOMEM, "describe: out of memory");
  }
  return PE_OK;
}

/* Report order: by revenue, largest first; ties by cluster index. */
static int by_revenue(const void *a, const void *b) {
  const pe__persona_entry *x = a, *y = b;
  if (x->pub.revenue != y->pub.revenue) return x->pub.revenue > y->pub.revenue ? -1 : 1;
  return x->pub.id - y->pub.id;
}

static void mark_focus(pe_persona_report *r) {
  if (!(r->revenue > 0)) return;
  double covered = 0;
  for (int i = 0; i < r->k && covered < r->focus_share * r->revenue; i++) {
    if (r->entries[i].pub.revenue <= 0) break;
    r->entries[i].pub.focus = 1;
    covered += r->entries[i].pub.revenue;
  }
}

static const double PE__WEAK_FIT = 0.2;

static pe_status build(const pe_persona_input *in, const pe_persona_params *params,
                       const pe__profile *prof, pe_persona_report *r) {
  const int k = in->k;
  const pe__profile *base = &prof[k];
  int offered[PE_ARCHETYPE_COUNT];
  for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
    offered[a] = pe__archetype_offered((pe_archetype)a, base, in->has_sessions);
  double *score = malloc((size_t)k * PE_ARCHETYPE_COUNT * sizeof *score);
  double *weighted = malloc((size_t)k * PE_ARCHETYPE_COUNT * sizeof *weighted);
  pe_archetype *assigned = malloc((size_t)k * sizeof *assigned);
  pe_status st = PE_OK;
  if (!score || !weighted || !assigned) {
    st = pe__fail(PE_ERR_NOMEM, "describe: out of memory");
    goto done;
  }
  for (int c = 0; c < k; c++)
    for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
      score[(size_t)c * PE_ARCHETYPE_COUNT + a] =
          pe__archetype_score((pe_archetype)a, &prof[c], base);
  /* The assignment weighs each cluster's scores by its size: it maximises
   * the number of customers whose persona fits them, so that a small mixed
   * cluster never takes the archetype a large clear cluster fits best. */
  for (int c = 0; c < k; c++)
    for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
      weighted[(size_t)c * PE_ARCHETYPE_COUNT + a] =
          score[(size_t)c * PE_ARCHETYPE_COUNT + a] * (double)prof[c].customers;
  PE_CHECK_GOTO(pe__archetype_assign(k, weighted, offered, assigned), st, done);
  /* One-to-one is for clusters that compete for an archetype. A cluster left
   * with an archetype that hardly fits (score below PE__WEAK_FIT: its traits
   * point as much against it as for it) is not competing: it takes its own
   * best archetype and shares it, with a qualifier. */
  for (int c = 0; c < k; c++) {
    const double *row = score + (size_t)c * PE_ARCHETYPE_COUNT;
    if (row[assigned[c]] >= PE__WEAK_FIT) continue;
    int top = assigned[c];
    for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
      if (offered[a] && row[a] > row[top]) top = a;
    assigned[c] = (pe_archetype)top;
  }
  for (int c = 0; c < k; c++) {
    pe__persona_entry *e = &r->entries[c];
    pe_persona *p = &e->pub;
    p->id = c;
    p->archetype = assigned[c];
    p->match = score[(size_t)c * PE_ARCHETYPE_COUNT + assigned[c]];
    snprintf(e->archetype_key, sizeof e->archetype_key, "%s", pe_archetype_key(assigned[c]));
    snprintf(e->description, sizeof e->description, "%s", pe__persona_description(assigned[c]));
    p->customers = prof[c].customers;
    p->share_customers = (double)prof[c].customers / (double)base->customers;
    p->revenue = prof[c].revenue;
    p->share_revenue = base->revenue > 0 ? prof[c].revenue / base->revenue : 0.0;
    p->trait_count =
        pe__traits_phrase(&prof[c], base, params->max_traits, e->traits, sizeof e->traits[0]);
    for (int t = 0; t < p->trait_count; t++) p->traits[t] = e->traits[t];
    p->actions = pe__persona_actions(assigned[c], &p->action_count);
    for (int f = 0; f < PE_FEATURE_COUNT; f++) e->trait_z[f] = pe__trait_z(&prof[c], base, f);
    for (int t = 0; t < PE_PERSONA_TOP_REGIONS; t++) p->top_regions[t] = -1;
    p->standout_region = -1;
  }
  qualify_duplicates(r->entries, k, prof);
  if (r->has_rfm) PE_CHECK_GOTO(copy_segment_names(in, r), st, done);
  PE_CHECK_GOTO(add_counts(in, r), st, done);
  for (int c = 0; c < k; c++)
    r->entries[c].pub.rfm_mix = r->has_rfm ? r->rfm_mix + (size_t)c * r->rfm_segment_count : NULL;
  qsort(r->entries, (size_t)k, sizeof *r->entries, by_revenue);
  /* qsort moved the entries: re-point the strings at their new homes. */
  for (int c = 0; c < k; c++) {
    pe__persona_entry *e = &r->entries[c];
    e->pub.archetype_key = e->archetype_key;
    e->pub.qualifier = e->qualifier;
    e->pub.name = e->name;
    e->pub.description = e->description;
    for (int t = 0; t < e->pub.trait_count; t++) e->pub.traits[t] = e->traits[t];
  }
  mark_focus(r);
done:
  free(score);
  free(weighted);
  free(assigned);
  return st;
}

pe_status pe_persona_describe(const pe_persona_input *in, const pe_persona_params *params,
                              pe_persona_report **out) {
  PE_FAIL_IF(!out, PE_ERR_USAGE, "describe: no output given");
  *out = NULL;
  PE_FORWARD(check_input(in, params));
  pe__profile *prof = calloc((size_t)in->k + 1, sizeof *prof);
  pe_persona_report *r = calloc(1, sizeof *r);
  if (r) r->entries = calloc((size_t)in->k, sizeof *r->entries);
  if (!prof || !r || !r->entries) {
    free(prof);
    pe_persona_report_free(r);
    return pe__fail(PE_ERR_NOMEM, "describe: out of memory for %d personas", in->k);
  }
  r->k = in->k;
  r->has_sessions = in->has_sessions;
  r->has_rfm = in->rfm_segment && in->rfm_segment_count > 0;
  r->has_demographics = in->age || in->income || in->region;
  r->focus_share = params->focus_revenue_share;
  pe_status st = pe__profiles_compute(in, prof);
  if (st == PE_OK) {
    r->customers = prof[in->k].customers;
    r->revenue = prof[in->k].revenue;
    for (int f = 0; f < PE_FEATURE_COUNT; f++)
      r->feature_present[f] = prof[in->k].has[f] && prof[in->k].pop[f] > 0;
    st = build(in, params, prof, r);
  }
  free(prof);
  if (st != PE_OK) {
    pe_persona_report_free(r);
    return st;
  }
  *out = r;
  return PE_OK;
}

int pe_persona_report_count(const pe_persona_report *r) {
  return r ? r->k : 0;
}

const pe_persona *pe_persona_report_get(const pe_persona_report *r, int i) {
  return r && i >= 0 && i < r->k ? &r->entries[i].pub : NULL;
}

void pe_persona_report_free(pe_persona_report *r) {
  if (!r) return;
  for (int s = 0; s < r->rfm_segment_count && r->rfm_segment_names; s++)
    free(r->rfm_segment_names[s]);
  free(r->rfm_segment_names);
  free(r->rfm_mix);
  free(r->entries);
  free(r);
}
