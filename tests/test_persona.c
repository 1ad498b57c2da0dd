/* Personas on hand-made data: archetype assignment (against brute force),
 * scoring of hand-made groups, duplicates and qualifiers, traits, focus,
 * transaction-only data, renderers, /personas, K choice
 * and the adjusted Rand index. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "harness.h"
#include "io/h5.h"
#include "persona/persona_internal.h"
#include "personae.h"

/* ---- assignment against brute force ---- */

static double best_total;
static void brute(int k, const double *score, const int *list, int a_count, int i, int used,
                  double total) {
  if (i == k) {
    if (total > best_total) best_total = total;
    return;
  }
  for (int j = 0; j < a_count; j++)
    if (!(used & (1 << j)))
      brute(k, score, list, a_count, i + 1, used | (1 << j),
            total + score[i * PE_ARCHETYPE_COUNT + list[j]]);
}

static void test_assignment_matches_brute_force(void) {
  pe_rng rng;
  pe_rng_init(&rng, 11, 0);
  for (int trial = 0; trial < 60; trial++) {
    int offered[PE_ARCHETYPE_COUNT], list[PE_ARCHETYPE_COUNT], a_count = 0;
    for (int a = 0; a < PE_ARCHETYPE_COUNT; a++) {
      offered[a] = trial % 3 == 0 ? pe_rng_uniform(&rng) < 0.6 : 1;
      if (offered[a]) list[a_count++] = a;
    }
    if (a_count < 2) continue;
    const int k = 1 + (int)pe_rng_below(&rng, (uint64_t)(a_count < 7 ? a_count : 7));
    double score[7 * PE_ARCHETYPE_COUNT];
    for (int i = 0; i < k * PE_ARCHETYPE_COUNT; i++) score[i] = 2 * pe_rng_uniform(&rng) - 1;
    pe_archetype got[7];
    PE_ASSERT_STATUS(pe__archetype_assign(k, score, offered, got), PE_OK);
    double total = 0;
    int used = 0;
    for (int i = 0; i < k; i++) {
      CU_ASSERT(offered[got[i]]);
      CU_ASSERT_FALSE(used & (1 << got[i])); /* one-to-one while k <= offered */
      used |= 1 << got[i];
      total += score[i * PE_ARCHETYPE_COUNT + got[i]];
    }
    best_total = -INFINITY;
    brute(k, score, list, a_count, 0, 0, 0.0);
    PE_ASSERT_NEAR(total, best_total, 1e-12);
  }
}

static void test_assignment_more_clusters_than_archetypes(void) {
  int offered[PE_ARCHETYPE_COUNT] = {0};
  offered[PE_ARCH_REPEAT_BUYER] = offered[PE_ARCH_LAPSED_BUYER] = 1;
  /* Four clusters, all most like repeat buyers: the matching gives each
   * archetype one cluster (the best-fitting), the others repeat buyer. */
  double score[4 * PE_ARCHETYPE_COUNT] = {0};
  const double repeat[4] = {0.9, 0.8, 0.7, 0.2}, lapsed[4] = {0.1, 0.2, 0.3, 0.15};
  for (int i = 0; i < 4; i++) {
    score[i * PE_ARCHETYPE_COUNT + PE_ARCH_REPEAT_BUYER] = repeat[i];
    score[i * PE_ARCHETYPE_COUNT + PE_ARCH_LAPSED_BUYER] = lapsed[i];
  }
  pe_archetype got[4];
  PE_ASSERT_STATUS(pe__archetype_assign(4, score, offered, got), PE_OK);
  /* Best matching: lapsed to the cluster losing least (3: 0.15 vs 0.2). */
  PE_ASSERT_EQ_LL(got[3], PE_ARCH_LAPSED_BUYER);
  for (int i = 0; i < 3; i++) PE_ASSERT_EQ_LL(got[i], PE_ARCH_REPEAT_BUYER);
  int none[PE_ARCHETYPE_COUNT] = {0};
  PE_ASSERT_STATUS(pe__archetype_assign(4, score, none, got), PE_ERR_DATA);
}

/* ---- hand-made customers ---- */

/* Every feature in feature_list.h order, in original units. */
typedef struct {
  double recency, freq, aov, tenure, disc, ret, cats, holiday, sessions, pages, bounce, carts,
      abandon, ttp;
} shopper;

static const shopper kinds[] = {
    /* bouncer */ {0, 0, 0, 0, 0, 0, 0, 0, 2, 1.05, 0.95, 0, 0, 0},
    /* discount hunter */ {60, 5, 30, 300, 0.9, 0.2, 4, 0.15, 6, 7, 0.1, 8, 0.2, 900},
    /* repeat buyer */ {15, 12, 65, 600, 0.1, 0.05, 5, 0.15, 14, 6, 0.1, 20, 0.1, 800},
    /* holiday shopper */ {40, 2, 90, 300, 0.3, 0.05, 3, 1.0, 3, 7, 0.1, 4, 0.2, 900},
    /* repeat buyer, cheaper baskets (a second repeat cluster) */
    {18, 11, 25, 580, 0.1, 0.05, 5, 0.15, 13, 6, 0.1, 18, 0.1, 800},
};
enum { KINDS = sizeof kinds / sizeof kinds[0], PER_KIND = 400 };

typedef struct {
  int64_t n;
  float *raw;
  int32_t *labels;
  int64_t *ids;
  pe_feature columns[PE_FEATURE_COUNT];
  pe_persona_input in;
} handmade;

static void make_customers(handmade *h, int kinds_used, int with_sessions) {
  memset(h, 0, sizeof *h);
  const int d = with_sessions ? PE_FEATURE_COUNT : PE_FEAT_SESSIONS;
  h->n = (int64_t)kinds_used * PER_KIND;
  h->raw = malloc((size_t)h->n * d * sizeof *h->raw);
  h->labels = malloc((size_t)h->n * sizeof *h->labels);
  h->ids = malloc((size_t)h->n * sizeof *h->ids);
  for (int j = 0; j < d; j++) h->columns[j] = (pe_feature)j;
  pe_rng rng;
  pe_rng_init(&rng, 5, 0);
  for (int64_t i = 0; i < h->n; i++) {
    const int c = (int)(i % kinds_used);
    const shopper *s = &kinds[c];
    const double jitter = 0.85 + 0.3 * pe_rng_uniform(&rng);
    const double freq = s->freq > 0 ? floor(s->freq * jitter + 0.5) : 0;
    const double v[PE_FEATURE_COUNT] = {s->recency * jitter,
                                        freq,
                                        freq * s->aov * jitter,
                                        s->aov * jitter,
                                        s->tenure * jitter,
                                        s->disc,
                                        s->ret,
                                        s->cats,
                                        s->holiday,
                                        floor(s->sessions * jitter + 0.5),
                                        s->pages * jitter,
                                        s->bounce,
                                        floor(s->carts * jitter),
                                        s->abandon,
                                        s->ttp * jitter};
    for (int j = 0; j < d; j++) h->raw[i * d + j] = (float)v[j];
    h->labels[i] = c;
    h->ids[i] = 1000 + 3 * i;
  }
  h->in = (pe_persona_input){.n = h->n,
                             .d = d,
                             .columns = h->columns,
                             .raw = h->raw,
                             .labels = h->labels,
                             .k = kinds_used,
                             .customer_id = h->ids,
                             .has_sessions = with_sessions};
}

/* Describes the handmade customers with the default parameters. */
static pe_persona_report *describe_default(handmade *h) {
  pe_persona_params p = pe_persona_params_default();
  pe_persona_report *r = NULL;
  PE_ASSERT_STATUS(pe_persona_describe(&h->in, &p, &r), PE_OK);
  return r;
}

static void free_customers(handmade *h) {
  free(h->raw);
  free(h->labels);
  free(h->ids);
}

static const pe_persona *persona_with_id(const pe_persona_report *r, int id) {
  for (int i = 0; i < pe_persona_report_count(r); i++)
    if (pe_persona_report_get(r, i)->id == id) return pe_persona_report_get(r, i);
  return NULL;
}

static void test_describe_handmade(void) {
  handmade h;
  make_customers(&h, 4, 1);
  pe_persona_report *r = describe_default(&h);
  if (!r) return;
  PE_ASSERT_EQ_LL(pe_persona_report_count(r), 4);
  const pe_archetype expected[4] = {PE_ARCH_BOUNCER, PE_ARCH_DISCOUNT_HUNTER, PE_ARCH_REPEAT_BUYER,
                                    PE_ARCH_HOLIDAY_SHOPPER};
  double share = 0, revenue_share = 0, previous = INFINITY;
  for (int i = 0; i < 4; i++) {
    const pe_persona *q = pe_persona_report_get(r, i);
    PE_ASSERT_EQ_LL(q->archetype, expected[q->id]);
    PE_ASSERT_EQ_LL(q->customers, PER_KIND);
    CU_ASSERT(q->trait_count >= 3 && q->trait_count <= 5);
    CU_ASSERT(q->action_count >= 3);
    CU_ASSERT(q->revenue <= previous); /* report order: by revenue */
    previous = q->revenue;
    share += q->share_customers;
    revenue_share += q->share_revenue;
  }
  PE_ASSERT_NEAR(share, 1.0, 1e-12);
  PE_ASSERT_NEAR(revenue_share, 1.0, 1e-9);
  /* The discount hunter's traits say so, with numbers. */
  const pe_persona *dh = persona_with_id(r, 1);
  int mentions = 0;
  for (int t = 0; dh && t < dh->trait_count; t++)
    mentions += strstr(dh->traits[t], "90% of orders use a discount") != NULL;
  PE_ASSERT_EQ_LL(mentions, 1);
  CU_ASSERT_STRING_EQUAL(persona_with_id(r, 0)->name, "Bouncing Bella");
  CU_ASSERT_STRING_EQUAL(persona_with_id(r, 2)->name, "Loyal Leo");
  /* Focus: the fewest personas, largest revenue first, that reach 80%. */
  double covered = 0, without_last = 0;
  int focus = 0;
  for (int i = 0; i < 4; i++) {
    const pe_persona *q = pe_persona_report_get(r, i);
    if (!q->focus) continue;
    PE_ASSERT_EQ_LL(i, focus); /* a prefix of the report order */
    without_last = covered;
    covered += q->share_revenue;
    focus++;
  }
  CU_ASSERT(covered >= 0.8);
  CU_ASSERT(without_last < 0.8);
  pe_persona_report_free(r);
  free_customers(&h);
}

static void test_duplicates_get_qualifiers(void) {
  handmade h;
  make_customers(&h, 5, 1);
  /* Five clusters, ten archetypes, two of them repeat buyers. The cheaper
   * repeat cluster fits no free archetype (every other one scores below the
   * weak-fit bar), so instead of being forced into one it shares "repeat
   * buyer" with the other, and value qualifiers tell them apart. */
  pe_persona_params p = pe_persona_params_default();
  pe_persona_report *r = NULL;
  PE_ASSERT_STATUS(pe_persona_describe(&h.in, &p, &r), PE_OK);
  const pe_persona *dear = r ? persona_with_id(r, 2) : NULL,
                   *cheap = r ? persona_with_id(r, 4) : NULL;
  if (dear && cheap) {
    PE_ASSERT_EQ_LL(dear->archetype, PE_ARCH_REPEAT_BUYER);
    PE_ASSERT_EQ_LL(cheap->archetype, PE_ARCH_REPEAT_BUYER);
    CU_ASSERT_STRING_EQUAL(dear->qualifier, "high value");
    CU_ASSERT_STRING_EQUAL(cheap->qualifier, "low value");
    CU_ASSERT_STRING_EQUAL(dear->name, "Loyal Leo");
    CU_ASSERT_STRING_EQUAL(cheap->name, "Loyal Lucy");
  }
  pe_persona_report_free(r);

  /* Twelve clusters of which 8 are copies: more clusters than the ten
   * archetypes, so some share one and get value qualifiers. */
  const int k = 12;
  int32_t *labels = malloc((size_t)h.n * sizeof *labels);
  for (int64_t i = 0; i < h.n; i++) labels[i] = (int32_t)(i % k);
  h.in.labels = labels;
  h.in.k = k;
  PE_ASSERT_STATUS(pe_persona_describe(&h.in, &p, &r), PE_OK);
  int qualified = 0;
  for (int i = 0; r && i < k; i++) {
    const pe_persona *q = pe_persona_report_get(r, i);
    if (q->qualifier[0]) qualified++;
    for (int j = 0; j < i; j++) /* names stay distinct */
      if (q->archetype == pe_persona_report_get(r, j)->archetype &&
          strcmp(q->qualifier, pe_persona_report_get(r, j)->qualifier) == 0)
        CU_FAIL("two personas share archetype and qualifier");
  }
  CU_ASSERT(qualified >= 2);
  pe_persona_report_free(r);
  free(labels);
  free_customers(&h);
}

static void test_transactions_only(void) {
  handmade h;
  make_customers(&h, 4, 0);
  pe_persona_report *r = describe_default(&h);
  for (int i = 0; r && i < 4; i++) {
    const pe_archetype a = pe_persona_report_get(r, i)->archetype;
    CU_ASSERT(a != PE_ARCH_BOUNCER && a != PE_ARCH_PASSIVE_BROWSER && a != PE_ARCH_CART_ABANDONER &&
              a != PE_ARCH_IMPULSE_BUYER);
  }
  const pe_persona *dh = r ? persona_with_id(r, 1) : NULL;
  if (dh) PE_ASSERT_EQ_LL(dh->archetype, PE_ARCH_DISCOUNT_HUNTER);
  pe_persona_report_free(r);
  free_customers(&h);
}

static void test_bad_input(void) {
  handmade h;
  make_customers(&h, 4, 1);
  pe_persona_params p = pe_persona_params_default();
  pe_persona_report *r = NULL;
  h.labels[7] = 9;
  PE_ASSERT_STATUS(pe_persona_describe(&h.in, &p, &r), PE_ERR_DATA);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "row 7"));
  h.labels[7] = 3;
  h.raw[20] = NAN;
  PE_ASSERT_STATUS(pe_persona_describe(&h.in, &p, &r), PE_ERR_DATA);
  h.raw[20] = 1;
  p.max_traits = 9;
  PE_ASSERT_STATUS(pe_persona_describe(&h.in, &p, &r), PE_ERR_USAGE);
  free_customers(&h);
}

/* ---- renderers and /personas ---- */

static int count(const char *text, const char *needle) {
  int c = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) c++;
  return c;
}

static void test_renderers(void) {
  handmade h;
  make_customers(&h, 4, 1);
  pe_persona_report *r = describe_default(&h);
  if (!r) return;
  char *md = NULL, *js = NULL, *html = NULL;
  PE_ASSERT_STATUS(pe_persona_report_markdown(r, &md), PE_OK);
  PE_ASSERT_STATUS(pe_persona_report_json(r, &js), PE_OK);
  PE_ASSERT_STATUS(pe_persona_report_html(r, "Test <shop>", &html), PE_OK);
  CU_ASSERT_PTR_NOT_NULL(md && strstr(md, "## Discount-Hunting Dana"));
  json_error_t err;
  json_t *root = js ? json_loads(js, 0, &err) : NULL;
  CU_ASSERT_PTR_NOT_NULL(root);
  json_t *list = json_object_get(root, "personas");
  PE_ASSERT_EQ_LL(json_array_size(list), 4);
  static const char *const keys[] = {"id",        "archetype",       "name",    "description",
                                     "customers", "share_customers", "revenue", "share_revenue",
                                     "traits",    "actions",         "focus"};
  for (size_t i = 0; i < json_array_size(list); i++)
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
      CU_ASSERT_PTR_NOT_NULL(json_object_get(json_array_get(list, i), keys[k]));
  json_decref(root);
  if (html) {
    PE_ASSERT_EQ_LL(count(html, "<article class=\"persona"), 4);
    CU_ASSERT(count(html, "<svg") >= 5); /* share chart + a profile per card */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Test &lt;shop&gt;"));
    CU_ASSERT_PTR_NULL(strstr(html, "<script"));
    CU_ASSERT_PTR_NULL(strstr(html, "http://"));
    CU_ASSERT_PTR_NULL(strstr(html, "https://"));
  }
  free(md);
  free(js);
  free(html);
  pe_persona_report_free(r);
  free_customers(&h);
}

/* Regions: the persona whose customers live mostly in region 7 has it as
 * its over-represented region, with its share and the base's; the others,
 * spread like the base over regions 0-3, have none (their top regions are
 * the base's). The renderers say both. */
static void test_region_over_representation(void) {
  handmade h;
  make_customers(&h, 4, 1);
  int32_t *region = malloc((size_t)h.n * sizeof *region);
  int64_t in_seven = 0, of_one = 0;
  for (int64_t i = 0; i < h.n; i++) {
    const int persona = h.labels[i];
    region[i] = (int32_t)((i / 4) % 4);
    if (persona == 1 && (i / 4) % 5 < 3) region[i] = 7; /* 60% of persona 1 */
    in_seven += region[i] == 7;
    of_one += persona == 1;
  }
  h.in.region = region;
  pe_persona_report *r = describe_default(&h);
  if (r) {
    for (int i = 0; i < pe_persona_report_count(r); i++) {
      const pe_persona *q = pe_persona_report_get(r, i);
      CU_ASSERT(q->has_demographics);
      if (q->id == 1) {
        PE_ASSERT_EQ_LL(q->standout_region, 7);
        PE_ASSERT_EQ_LL(q->top_regions[0], 7);
        PE_ASSERT_NEAR(q->standout_region_share, (double)in_seven / (double)of_one, 1e-12);
        PE_ASSERT_NEAR(q->standout_region_base_share, (double)in_seven / (double)h.n, 1e-12);
      } else {
        PE_ASSERT_EQ_LL(q->standout_region, -1);
        CU_ASSERT(q->top_regions[0] >= 0 && q->top_regions[0] <= 3);
        /* Lift over the base is under the threshold: the base has fewer
         * customers in 0-3 only because of persona 1's region 7. */
        CU_ASSERT(q->top_region_share[0] / q->top_region_base_share[0] < PE_PERSONA_REGION_LIFT);
      }
    }
    char *md = NULL, *js = NULL;
    PE_ASSERT_STATUS(pe_persona_report_markdown(r, &md), PE_OK);
    PE_ASSERT_STATUS(pe_persona_report_json(r, &js), PE_OK);
    if (md) {
      PE_ASSERT_EQ_LL(count(md, "over-represented: region 7 (60% vs 15% overall)"), 1);
      PE_ASSERT_EQ_LL(count(md, "no region over-represented"), 3);
    }
    json_error_t err;
    json_t *root = js ? json_loads(js, 0, &err) : NULL;
    int standouts = 0;
    json_t *list = json_object_get(root, "personas");
    for (size_t i = 0; i < json_array_size(list); i++) {
      json_t *so = json_object_get(json_object_get(json_array_get(list, i), "demographics"),
                                   "standout_region");
      if (json_is_object(so)) {
        standouts++;
        PE_ASSERT_EQ_LL(json_integer_value(json_object_get(so, "region")), 7);
      } else {
        CU_ASSERT(json_is_null(so));
      }
    }
    PE_ASSERT_EQ_LL(standouts, 1);
    json_decref(root);
    free(md);
    free(js);
    pe_persona_report_free(r);
  }
  free(region);
  free_customers(&h);
}

/* What does not stand out: a region with a lift of 1.5 under 5% of the
 * persona (35 customers), one with 100% of the persona's known regions but
 * only 25 customers, and a persona whose customers have ages but no region
 * (no region text, JSON null). Personas: 0 ages only; 1 kinds 1 and 3 (800
 * customers), 35 in region 8; 2 spread over regions 0-3; 3 with 25
 * customers in region 9, the rest unknown. */
static void test_region_thresholds(void) {
  handmade h;
  make_customers(&h, 5, 1);
  int32_t *region = malloc((size_t)h.n * sizeof *region);
  int16_t *age = malloc((size_t)h.n * sizeof *age);
  static const int32_t persona_of_kind[5] = {0, 1, 2, 1, 3};
  int64_t seen[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < h.n; i++) {
    const int persona = h.labels[i] = persona_of_kind[h.labels[i]];
    const int64_t j = seen[persona]++; /* the j-th customer of the persona */
    age[i] = (int16_t)(20 + j % 50);
    region[i] = (int32_t)(j % 4);
    if (persona == 0) region[i] = -1;
    if (persona == 1 && j < 35) region[i] = 8;
    if (persona == 3) region[i] = j < 25 ? 9 : -1;
  }
  h.in.k = 4;
  h.in.region = region;
  h.in.age = age;
  pe_persona_report *r = describe_default(&h);
  if (r) {
    PE_ASSERT_EQ_LL(pe_persona_report_count(r), 4);
    for (int i = 0; i < pe_persona_report_count(r); i++) {
      const pe_persona *q = pe_persona_report_get(r, i);
      PE_ASSERT_EQ_LL(q->standout_region, -1);
      CU_ASSERT(q->has_demographics && q->age_known);
      if (q->id == 3) PE_ASSERT_EQ_LL(q->top_regions[0], 9);
      if (q->id == 0) PE_ASSERT_EQ_LL(q->top_regions[0], -1);
    }
    char *md = NULL, *js = NULL;
    PE_ASSERT_STATUS(pe_persona_report_markdown(r, &md), PE_OK);
    PE_ASSERT_STATUS(pe_persona_report_json(r, &js), PE_OK);
    if (md) {
      PE_ASSERT_EQ_LL(count(md, "over-represented:"), 0);
      /* Three personas have regions; the fourth says nothing about them. */
      PE_ASSERT_EQ_LL(count(md, "no region over-represented"), 3);
      PE_ASSERT_EQ_LL(count(md, "top regions:"), 3);
    }
    json_error_t err;
    json_t *root = js ? json_loads(js, 0, &err) : NULL;
    json_t *list = json_object_get(root, "personas");
    PE_ASSERT_EQ_LL(json_array_size(list), 4);
    for (size_t i = 0; i < json_array_size(list); i++) {
      json_t *demo = json_object_get(json_array_get(list, i), "demographics");
      CU_ASSERT(json_is_null(json_object_get(demo, "standout_region")));
    }
    json_decref(root);
    free(md);
    free(js);
    pe_persona_report_free(r);
  }
  free(region);
  free(age);
  free_customers(&h);
}

static void test_save_personas(void) {
  handmade h;
  make_customers(&h, 4, 1);
  pe_persona_report *r = describe_default(&h);
  char path[512];
  pe_test_path(path, sizeof path, "personas.h5");
  PE_ASSERT_STATUS(pe_persona_report_save(r, &h.in, path, NULL), PE_OK);
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(path, &fid), PE_OK);
  int32_t *persona = NULL, *arch = NULL;
  int64_t *ids = NULL, rows = 0, k = 0;
  PE_ASSERT_STATUS(
      pe_h5_read_column_all(fid, path, "/personas/persona", PE_I32, (void **)&persona, &rows),
      PE_OK);
  PE_ASSERT_STATUS(
      pe_h5_read_column_all(fid, path, "/personas/customer_id", PE_I64, (void **)&ids, &rows),
      PE_OK);
  PE_ASSERT_STATUS(
      pe_h5_read_column_all(fid, path, "/personas/archetype", PE_I32, (void **)&arch, &k), PE_OK);
  PE_ASSERT_EQ_LL(rows, h.n);
  PE_ASSERT_EQ_LL(k, 4);
  int same = persona && ids && arch;
  for (int64_t i = 0; same && i < h.n; i++) same = persona[i] == h.labels[i] && ids[i] == h.ids[i];
  CU_ASSERT(same);
  if (arch) PE_ASSERT_EQ_LL(arch[1], PE_ARCH_DISCOUNT_HUNTER); /* row i = persona i */
  CU_ASSERT(pe_h5_exists(fid, "/personas/name"));
  H5Fclose(fid);
  free(persona);
  free(ids);
  free(arch);
  pe_persona_report_free(r);
  free_customers(&h);
}

/* /customers in any order, with a customer missing and one unknown to the
 * features: demographics land on the right rows. */
static void test_customers_join(void) {
  char path[512];
  pe_test_path(path, sizeof path, "customers.h5");
  pe_h5_out *o = NULL;
  PE_ASSERT_STATUS(pe_h5_out_begin(path, NULL, NULL, &o), PE_OK);
  if (!o) return;
  const int64_t cid[] = {30, 10, 99, 20};
  const int16_t age[] = {63, 23, 50, 41};
  const float income[] = {3e4f, 1e4f, 9e4f, 2e4f};
  const int32_t region[] = {3, 1, 9, 2};
  hid_t g = H5Gcreate2(pe_h5_out_file(o), "customers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "customer_id", PE_I64, 4, cid, 0), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "age", PE_I16, 4, age, 0), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "income", PE_F32, 4, income, 0), PE_OK);
  PE_ASSERT_STATUS(pe_h5_write_column(g, path, "region", PE_I32, 4, region, 0), PE_OK);
  H5Gclose(g);
  PE_ASSERT_STATUS(pe_h5_out_commit(o), PE_OK);
  const int64_t ids[] = {10, 20, 30, 40};
  const pe_feature cols[] = {PE_FEAT_FREQUENCY};
  const float raw[] = {1, 2, 3, 4};
  const int32_t labels[] = {0, 0, 1, 1};
  pe_persona_data *d = NULL;
  PE_ASSERT_STATUS(pe_persona_data_from_memory(path, 4, 1, cols, raw, ids, labels, 2, 0, 0, NULL,
                                               NULL, NULL, NULL, 0, 0, NULL, &d),
                   PE_OK);
  const pe_persona_input *in = pe_persona_data_input(d);
  if (in && in->age && in->income && in->region) {
    const int16_t want_age[] = {23, 41, 63, 0};
    const int32_t want_region[] = {1, 2, 3, -1};
    for (int i = 0; i < 4; i++) {
      PE_ASSERT_EQ_LL(in->age[i], want_age[i]);
      PE_ASSERT_EQ_LL(in->region[i], want_region[i]);
    }
    PE_ASSERT_NEAR(in->income[3], -1.0, 0);
    PE_ASSERT_NEAR(in->income[0], 1e4, 0);
  } else {
    CU_FAIL("demographics were not joined");
  }
  pe_persona_data_free(d);
}

/* ---- clustering ---- */

static void test_cluster_auto_finds_k(void) {
  enum { N = 6000, D = 3, K = 4 };
  float *x = malloc((size_t)N * D * sizeof *x);
  int32_t *truth = malloc(N * sizeof *truth);
  pe_rng rng;
  pe_rng_init(&rng, 3, 0);
  for (int i = 0; i < N; i++) {
    truth[i] = i % K;
    for (int t = 0; t < D; t++)
      x[i * D + t] = (float)(10.0 * ((truth[i] >> (t % 2)) & 1) +
                             (t == 2 ? 10.0 * (truth[i] == 3) : 0) + pe_rng_normal(&rng));
  }
  pe_persona_cluster_params p = pe_persona_cluster_params_default();
  p.k_min = 2;
  p.k_max = 7;
  p.sample = 2000;
  p.threads = 1;
  pe_persona_clustering *a = NULL, *b = NULL;
  PE_ASSERT_STATUS(pe_persona_cluster(x, N, D, &p, &a), PE_OK);
  p.threads = 2;
  PE_ASSERT_STATUS(pe_persona_cluster(x, N, D, &p, &b), PE_OK);
  if (a && b) {
    PE_ASSERT_EQ_LL(pe_persona_clustering_k(a), K);
    PE_ASSERT_EQ_LL(pe_persona_clustering_curve_count(a), 6);
    double ari = 0;
    PE_ASSERT_STATUS(pe_adjusted_rand_index(pe_kmeans_model_labels(pe_persona_clustering_model(a)),
                                            truth, N, &ari),
                     PE_OK);
    CU_ASSERT(ari > 0.99);
    CU_ASSERT_EQUAL(
        memcmp(pe_kmeans_model_labels(pe_persona_clustering_model(a)),
               pe_kmeans_model_labels(pe_persona_clustering_model(b)), N * sizeof(int32_t)),
        0);
  }
  pe_persona_clustering_free(a);
  pe_persona_clustering_free(b);
  free(x);
  free(truth);
}

static void test_adjusted_rand_index(void) {
  const int32_t a[] = {0, 0, 0, 1, 1, 1}, b[] = {0, 0, 1, 1, 2, 2}, c[] = {5, 5, 5, 2, 2, 2};
  double v = 0;
  PE_ASSERT_STATUS(pe_adjusted_rand_index(a, b, 6, &v), PE_OK);
  PE_ASSERT_NEAR(v, 0.24242424242424243, 1e-12); /* scikit-learn's value */
  PE_ASSERT_STATUS(pe_adjusted_rand_index(a, c, 6, &v), PE_OK);
  PE_ASSERT_NEAR(v, 1.0, 1e-12);
  const int32_t bad[] = {0, -1, 0, 1, 1, 1};
  PE_ASSERT_STATUS(pe_adjusted_rand_index(a, bad, 6, &v), PE_ERR_DATA);
}

/* User-given names reach Markdown escaped (a viewer shows them as text) and
 * HTML as entities. */
static void test_name_escaping(void) {
  pe__strbuf b = {0};
  pe__sb_markdown(&b, "<b>Best & co</b>");
  pe__sb_markdown(&b, " \\<i> *VIP*");
  pe__sb_puts(&b, " | ");
  pe__sb_html(&b, "<b>\"Best\" & co</b>");
  char *text = NULL;
  PE_ASSERT_STATUS(pe__sb_finish(&b, &text), PE_OK);
  CU_ASSERT_STRING_EQUAL(text,
                         "\\<b\\>Best \\& co\\</b\\> \\\\\\<i\\> \\*VIP\\* | "
                         "&lt;b&gt;&quot;Best&quot; &amp; co&lt;/b&gt;");
  free(text);
}

int main(int argc, char **argv) {
  static CU_TestInfo assign[] = {
      {"assignment equals brute force", test_assignment_matches_brute_force},
      {"more clusters than archetypes", test_assignment_more_clusters_than_archetypes},
      CU_TEST_INFO_NULL};
  static CU_TestInfo describe[] = {{"hand-made groups", test_describe_handmade},
                                   {"duplicates get qualifiers", test_duplicates_get_qualifiers},
                                   {"transactions only", test_transactions_only},
                                   {"bad input", test_bad_input},
                                   {"regions: the over-represented one, or none",
                                    test_region_over_representation},
                                   {"regions: small shares, few customers, none known",
                                    test_region_thresholds},
                                   {"renderers", test_renderers},
                                   {"names escaped for Markdown and HTML", test_name_escaping},
                                   {"/personas", test_save_personas},
                                   {"/customers join", test_customers_join},
                                   CU_TEST_INFO_NULL};
  static CU_TestInfo cluster[] = {{"auto K on blobs, any thread count", test_cluster_auto_finds_k},
                                  {"adjusted Rand index", test_adjusted_rand_index},
                                  CU_TEST_INFO_NULL};
  static const pe_test_suite suites[] = {{"persona_assign", assign, NULL},
                                         {"persona_describe", describe, NULL},
                                         {"persona_cluster", cluster, NULL},
                                         {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
