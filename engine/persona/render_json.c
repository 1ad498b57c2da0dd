/* The persona report as JSON. The keys are stable (docs/personas.md):
 * scripts may rely on them; new keys may be added, none renamed. */
#include <jansson.h>
#include <stdlib.h>

#include "core/error.h"
#include "persona/persona_internal.h"

static json_t *string_array(const char *const *items, int count) {
  json_t *a = json_array();
  for (int i = 0; i < count; i++) json_array_append_new(a, json_string(items[i]));
  return a;
}

static json_t *demographics(const pe_persona *p) {
  /* Unmeasured parts are null, not 0. */
  json_t *ages = p->age_known ? json_object() : json_null(), *regions = json_array();
  for (int b = 0; p->age_known && b < PE_PERSONA_AGE_BANDS; b++)
    json_object_set_new(ages, pe_persona_age_band_label(b), json_real(p->age_band_share[b]));
  for (int t = 0; t < PE_PERSONA_TOP_REGIONS && p->top_regions[t] >= 0; t++)
    json_array_append_new(regions, json_pack("{s:i, s:f, s:f}", "region", p->top_regions[t],
                                             "share", p->top_region_share[t], "base_share",
                                             p->top_region_base_share[t]));
  json_t *standout = p->standout_region >= 0
                         ? json_pack("{s:i, s:f, s:f}", "region", p->standout_region, "share",
                                     p->standout_region_share, "base_share",
                                     p->standout_region_base_share)
                         : json_null();
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "age_bands", ages, "mean_age",
                   p->age_known ? json_real(p->mean_age) : json_null(), "median_income",
                   p->income_known ? json_real(p->median_income) : json_null(), "top_regions",
                   regions, "standout_region", standout);
}

static json_t *persona_object(const pe_persona_report *r, const pe__persona_entry *e) {
  const pe_persona *p = &e->pub;
  json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:f, s:s, s:s, s:I, s:f, s:f, s:f, s:o, s:o, s:b}",
                        "id", p->id, "archetype", p->archetype_key, "archetype_label",
                        pe_archetype_label(p->archetype), "qualifier", p->qualifier, "match",
                        p->match, "name", p->name, "description", p->description, "customers",
                        (json_int_t)p->customers, "share_customers", p->share_customers, "revenue",
                        p->revenue, "share_revenue", p->share_revenue, "traits",
                        string_array(p->traits, p->trait_count), "actions",
                        string_array(p->actions, p->action_count), "focus", p->focus);
  if (!o) return NULL;
  json_t *profile = json_object();
  for (int f = 0; f < PE_FEATURE_COUNT; f++)
    if (r->feature_present[f])
      json_object_set_new(profile, pe__feature_key((pe_feature)f), json_real(e->trait_z[f]));
  json_object_set_new(o, "profile_z", profile);
  if (p->rfm_mix) {
    json_t *mix = json_object();
    for (int s = 0; s < r->rfm_segment_count; s++)
      if (p->rfm_mix[s] > 0)
        json_object_set_new(mix, r->rfm_segment_names[s], json_integer((json_int_t)p->rfm_mix[s]));
    json_object_set_new(o, "rfm_mix", mix);
  }
  if (p->has_demographics) json_object_set_new(o, "demographics", demographics(p));
  return o;
}

pe_status pe_persona_report_json(const pe_persona_report *r, char **text) {
  *text = NULL;
  json_t *list = json_array();
  for (int i = 0; i < r->k; i++) {
    json_t *o = persona_object(r, &r->entries[i]);
    if (!o) {
      json_decref(list);
      return pe__fail(PE_ERR_NOMEM, "out of memory while rendering the persona JSON");
    }
    json_array_append_new(list, o);
  }
  json_t *root = json_pack("{s:I, s:f, s:i, s:b, s:f, s:o}", "customers", (json_int_t)r->customers,
                           "revenue", r->revenue, "k", r->k, "has_sessions", r->has_sessions,
                           "focus_revenue_share", r->focus_share, "personas", list);
  char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
  json_decref(root);
  PE_FAIL_IF(!s, PE_ERR_NOMEM, "out of memory while rendering the persona JSON");
  /* json_dumps allocates with malloc (jansson's default allocator), so the
   * caller's free() matches. */
  *text = s;
  return PE_OK;
}
