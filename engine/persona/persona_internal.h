/* Internals of the persona description: group profiles, archetype scoring
 * and assignment, the name/playbook tables, trait phrasing and the report. */
#ifndef PE_PERSONA_INTERNAL_H
#define PE_PERSONA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "personae/persona.h"

/* ---- profiles: what a group of customers looks like, feature by feature ---- */

/* Whose values a feature's statistics average over: a share of orders means
 * nothing for a customer without orders, so such features are averaged over
 * the customers for whom they are defined, whatever value the feature table
 * stores for the others. */
typedef enum {
  PE__POP_ALL,
  PE__POP_BUYERS,
  PE__POP_SESSIONS,
  PE__POP_CARTERS,
  PE__POP_SESSION_BUYERS
} pe__population;

pe__population pe__feature_population(pe_feature f);

typedef struct {
  int64_t customers, buyers, with_sessions;
  double revenue;
  double orders_per_buyer;
  int has[PE_FEATURE_COUNT];     /* the input has this feature's column */
  int64_t pop[PE_FEATURE_COUNT]; /* customers in the feature's population */
  double mean[PE_FEATURE_COUNT]; /* arithmetic mean of the raw value over pop */
  /* Mean and standard deviation of the transformed value t = log1p(max(x, 0))
   * for LOG1P features, x for LINEAR ones, over pop. */
  double tmean[PE_FEATURE_COUNT], tsd[PE_FEATURE_COUNT];
} pe__profile;

/* expm1(tmean) for LOG1P features ("the typical value"), tmean for LINEAR. */
double pe__profile_typical(const pe__profile *p, pe_feature f);
double pe__profile_buyer_share(const pe__profile *p);

/* Fills profiles[0..k-1] (one per cluster) and profiles[k] (all customers)
 * in one parallel pass; the result does not depend on the thread count. */
pe_status pe__profiles_compute(const pe_persona_input *in, pe__profile *profiles);

/* ---- archetype scoring and assignment ---- */

/* Whether the archetype can be recognised in this data (sessions present
 * when it needs them, its key feature column present). */
int pe__archetype_offered(pe_archetype a, const pe__profile *base, int has_sessions);
/* The rule score of a group for an archetype, -1..1 (docs/personas.md). */
double pe__archetype_score(pe_archetype a, const pe__profile *group, const pe__profile *base);

/* Gives each of k clusters an archetype, maximising the total score: one-to-
 * one while k <= offered; beyond that every offered archetype is used once
 * and the remaining clusters take their best (exact, dynamic programming over
 * subsets of archetypes). score is k x PE_ARCHETYPE_COUNT; offered has
 * PE_ARCHETYPE_COUNT flags. Returns PE_ERR_DATA if nothing is offered. */
pe_status pe__archetype_assign(int k, const double *score, const int *offered,
                               pe_archetype *assigned);

/* ---- tables: names, descriptions, marketing playbook ---- */

enum { PE__NAMES_PER_ARCHETYPE = 3 };
/* The n-th alliterative name of an archetype (n wraps around). */
const char *pe__persona_name(pe_archetype a, int n);
const char *pe__persona_description(pe_archetype a);
/* The marketing actions of an archetype; *count receives how many. */
const char *const *pe__persona_actions(pe_archetype a, int *count);

/* ---- traits in plain words ---- */

/* Writes up to max_traits phrases (each at most `size` bytes) describing how
 * `group` differs from `base`, strongest first, at least 3 when the data has
 * that many features. Returns how many were written. */
int pe__traits_phrase(const pe__profile *group, const pe__profile *base, int max_traits,
                      char (*out)[192], size_t size);
/* The standardised deviation of a group from the base for a feature (0 when
 * undefined): (tmean_group - tmean_base) / tsd_base. */
double pe__trait_z(const pe__profile *group, const pe__profile *base, pe_feature f);

/* The stable key and plain-words text of a feature (from feature_list.h). */
const char *pe__feature_key(pe_feature f);
const char *pe__feature_text(pe_feature f);
int pe__feature_is_log1p(pe_feature f);

/* ---- the report ---- */

typedef struct {
  pe_persona pub;
  char name[96], description[256], qualifier[32], archetype_key[40];
  char traits[PE_PERSONA_MAX_TRAITS][192];
  double trait_z[PE_FEATURE_COUNT]; /* profile for the HTML chart */
  int64_t rf_grid[5][5];            /* customers per (R, F) 1..5 cell */
} pe__persona_entry;

struct pe_persona_report {
  int k;
  pe__persona_entry *entries; /* in report order */
  int64_t customers;
  double revenue;
  int has_sessions, has_rfm, has_demographics;
  int rfm_segment_count;
  char **rfm_segment_names;
  int64_t *rfm_mix; /* k x rfm_segment_count */
  int feature_present[PE_FEATURE_COUNT];
  double focus_share;
};

/* ---- a growable string for the renderers ---- */

typedef struct {
  char *data;
  size_t len, cap;
  int failed; /* an allocation failed: the text is incomplete */
} pe__strbuf;

void pe__sb_printf(pe__strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pe__sb_puts(pe__strbuf *b, const char *s);
/* Appends s with &, <, >, " escaped for HTML. */
void pe__sb_html(pe__strbuf *b, const char *s);
/* Appends a user-given name (an RFM segment) to Markdown with the characters
 * Markdown reads as HTML or formatting (\ ` * _ [ ] < > & |) backslash-escaped:
 * a viewer shows them as text. */
void pe__sb_markdown(pe__strbuf *b, const char *s);
/* Hands over the text (PE_ERR_NOMEM if any append failed). */
pe_status pe__sb_finish(pe__strbuf *b, char **text);

/* "12,345" */
void pe__format_count(char *buf, size_t size, int64_t v);
/* "1.23M", "45.6k", "789" */
void pe__format_money(char *buf, size_t size, double v);

/* The measured parts of a persona's demographics as one sentence, for the
 * Markdown and HTML cards: "<age_intro> 25-34 (40%), mean age 37, median
 * income ~42k; top region 3 (20%)". With max_regions > 1 the regions read
 * "top regions: 3 (20%), 5 (10%)". Plain text: nothing to escape. */
void pe__sb_demographics(pe__strbuf *b, const pe_persona *p, const char *age_intro,
                         int max_regions);

#endif
