/* The feature catalogue: keys, descriptions and scalings from the one
 * X-macro list in feature_list.h, and parsing of `--features a,b,c`. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "personae/features.h"

typedef struct {
  const char *key, *description;
  pe_feature_scaling scaling;
  int needs_sessions;
  pe_feature_missing missing;
  pe_feature_evidence_kind evidence;
} feature_info;

static const feature_info catalogue[PE_FEATURE_COUNT] = {
#define PE__FEATURE_INFO(name, key, scaling, needs_sessions, missing, evidence, text) \
  [name] = {key, text, scaling, needs_sessions, missing, evidence},
    PE_FEATURE_MAP(PE__FEATURE_INFO)
#undef PE__FEATURE_INFO
};

static int valid(pe_feature f) {
  return (int)f >= 0 && f < PE_FEATURE_COUNT;
}

const char *pe_feature_key(pe_feature f) {
  return valid(f) ? catalogue[f].key : NULL;
}
const char *pe_feature_description(pe_feature f) {
  return valid(f) ? catalogue[f].description : NULL;
}
pe_feature_scaling pe_feature_scaling_of(pe_feature f) {
  return valid(f) ? catalogue[f].scaling : PE_SCALE_LINEAR;
}
int pe_feature_needs_sessions(pe_feature f) {
  return valid(f) ? catalogue[f].needs_sessions : 0;
}
pe_feature_missing pe_feature_missing_of(pe_feature f) {
  return valid(f) ? catalogue[f].missing : PE_MISSING_NEUTRAL;
}
pe_feature_evidence_kind pe_feature_evidence(pe_feature f) {
  return valid(f) ? catalogue[f].evidence : PE_EVIDENCE_NONE;
}
const char *pe_feature_evidence_key(pe_feature_evidence_kind e) {
  static const char *const keys[] = {[PE_EVIDENCE_NONE] = "none",
                                     [PE_EVIDENCE_PURCHASES] = "purchases",
                                     [PE_EVIDENCE_ORDERS] = "orders",
                                     [PE_EVIDENCE_SESSIONS] = "sessions",
                                     [PE_EVIDENCE_CART_SESSIONS] = "cart_sessions"};
  return (int)e >= 0 && e <= PE_EVIDENCE_CART_SESSIONS ? keys[e] : NULL;
}

/* Looks up `len` bytes of `key` (not necessarily terminated). */
static pe_status lookup(const char *key, size_t len, pe_feature *out) {
  for (int f = 0; f < PE_FEATURE_COUNT; f++)
    if (strlen(catalogue[f].key) == len && strncmp(catalogue[f].key, key, len) == 0) {
      *out = (pe_feature)f;
      return PE_OK;
    }
  char known[1024];
  size_t at = 0;
  for (int f = 0; f < PE_FEATURE_COUNT && at < sizeof known; f++)
    at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", f ? ", " : "", catalogue[f].key);
  return pe__fail(PE_ERR_USAGE, "unknown feature '%.*s' (known: %s)", (int)len, key, known);
}

pe_status pe_feature_from_key(const char *key, pe_feature *feature) {
  return lookup(key, strlen(key), feature);
}

pe_status pe_feature_parse_list(const char *list, pe_feature *features, int *count) {
  *count = 0;
  const char *p = list;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    PE_FAIL_IF(len == 0, PE_ERR_USAGE, "feature list '%s' has an empty item", list);
    pe_feature f = PE_FEAT_RECENCY_DAYS;
    PE_FORWARD(lookup(p, len, &f));
    for (int i = 0; i < *count; i++)
      PE_FAIL_IF(features[i] == f, PE_ERR_USAGE, "feature '%s' is listed twice", catalogue[f].key);
    features[(*count)++] = f;
    if (!end) return PE_OK;
    p = end + 1;
  }
}
