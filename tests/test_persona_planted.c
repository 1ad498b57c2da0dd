/* Acceptance on planted data: generate customers with the ten archetypes,
 * compute features, cluster with K = 10 and describe. The clusters must
 * recover the planted groups (adjusted Rand index, see below) and the archetype
 * each cluster is given must be its planted majority for >= 90% of the
 * customers. The same without sessions: no session-based archetype may be
 * offered. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "io/h5.h"
#include "personae.h"
#include "personae/features.h"

enum { CUSTOMERS = 30000 };

typedef struct {
  double ari, archetype_accuracy;
  int session_archetypes; /* personas given a session-based archetype */
  int k;
} outcome;

typedef struct {
  int64_t id;
  int32_t archetype;
} id_arch;

static int by_id(const void *a, const void *b) {
  const id_arch *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Planted archetype per feature row (joined on customer id). */
static int32_t *planted(const char *path, const int64_t *ids, int64_t n) {
  hid_t fid;
  if (pe_h5_open_read(path, &fid) != PE_OK) return NULL;
  int64_t *tid = NULL, rows = 0, r2 = 0;
  int32_t *arch = NULL, *out = calloc((size_t)n, sizeof *out);
  int ok =
      pe_h5_read_column_all(fid, path, "/truth/customer_id", PE_I64, (void **)&tid, &rows) ==
          PE_OK &&
      pe_h5_read_column_all(fid, path, "/truth/archetype", PE_I32, (void **)&arch, &r2) == PE_OK &&
      rows == r2 && out;
  H5Fclose(fid);
  /* /truth is in generation order (ids are not sorted): sort (id, archetype)
   * pairs and merge with the ascending feature ids. */
  id_arch *pairs = ok ? malloc((size_t)rows * sizeof *pairs) : NULL;
  ok = ok && pairs;
  for (int64_t i = 0; ok && i < rows; i++) pairs[i] = (id_arch){tid[i], arch[i]};
  if (ok) qsort(pairs, (size_t)rows, sizeof *pairs, by_id);
  int64_t j = 0;
  for (int64_t i = 0; ok && i < n; i++) {
    while (j < rows && pairs[j].id < ids[i]) j++;
    if (j >= rows || pairs[j].id != ids[i])
      ok = 0;
    else
      out[i] = pairs[j].archetype;
  }
  free(pairs);
  free(tid);
  free(arch);
  if (!ok) {
    free(out);
    return NULL;
  }
  return out;
}

static void run_pipeline(int with_sessions, int k, outcome *o) {
  memset(o, 0, sizeof *o);
  char path[512];
  pe_test_path(path, sizeof path, with_sessions ? "planted.h5" : "planted_nosess.h5");
  pe_generate_params gp;
  pe_generate_params_default(&gp);
  gp.customers = CUSTOMERS;
  gp.seed = 7;
  gp.with_sessions = with_sessions;
  PE_ASSERT_STATUS(pe_generate(path, &gp, NULL), PE_OK);

  pe_features_params fp;
  pe_features_params_init(&fp);
  pe_features *f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(path, &fp, &f), PE_OK);
  if (!f) return;
  const int64_t n = pe_features_count(f);
  const int d = pe_features_dim(f);
  pe_persona_cluster_params cp = pe_persona_cluster_params_default();
  cp.k = k;
  cp.sample = 20000;
  pe_persona_clustering *c = NULL;
  pe_feature columns[PE_FEATURE_COUNT];
  for (int j = 0; j < d; j++) columns[j] = pe_features_column(f, j);
  PE_ASSERT_STATUS(pe_persona_cluster(pe_features_scaled(f), n, d, &cp, &c), PE_OK);
  int32_t *truth = planted(path, pe_features_customer_ids(f), n);
  CU_ASSERT_PTR_NOT_NULL(truth);
  if (!c || !truth) goto done;
  const pe_kmeans_model *m = pe_persona_clustering_model(c);
  const int32_t *labels = pe_kmeans_model_labels(m);
  o->k = pe_kmeans_model_k(m);
  PE_ASSERT_STATUS(pe_adjusted_rand_index(labels, truth, n, &o->ari), PE_OK);

  int has_sessions = 0;
  for (int j = 0; j < d; j++) has_sessions |= pe_feature_needs_sessions(columns[j]);
  CU_ASSERT_EQUAL(has_sessions, with_sessions);
  pe_persona_data *data = NULL;
  PE_ASSERT_STATUS(pe_persona_data_from_memory(
                       path, n, d, columns, pe_features_raw(f), pe_features_customer_ids(f), labels,
                       o->k, has_sessions, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, &data),
                   PE_OK);
  pe_persona_params pp = pe_persona_params_default();
  pe_persona_report *r = NULL;
  if (data) PE_ASSERT_STATUS(pe_persona_describe(pe_persona_data_input(data), &pp, &r), PE_OK);
  if (r) {
    /* Planted majority of each cluster against the archetype it was given. */
    pe_archetype given[64];
    for (int i = 0; i < pe_persona_report_count(r); i++) {
      const pe_persona *p = pe_persona_report_get(r, i);
      given[p->id] = p->archetype;
      if (p->archetype == PE_ARCH_BOUNCER || p->archetype == PE_ARCH_PASSIVE_BROWSER ||
          p->archetype == PE_ARCH_CART_ABANDONER || p->archetype == PE_ARCH_IMPULSE_BUYER)
        o->session_archetypes++;
    }
    int64_t *count = calloc((size_t)o->k * PE_ARCHETYPE_COUNT, sizeof *count);
    for (int64_t i = 0; i < n; i++) count[(size_t)labels[i] * PE_ARCHETYPE_COUNT + truth[i]]++;
    int64_t right = 0;
    for (int cl = 0; cl < o->k; cl++) {
      int major = 0;
      for (int a = 1; a < PE_ARCHETYPE_COUNT; a++)
        if (count[(size_t)cl * PE_ARCHETYPE_COUNT + a] >
            count[(size_t)cl * PE_ARCHETYPE_COUNT + major])
          major = a;
      int64_t size = 0;
      for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
        size += count[(size_t)cl * PE_ARCHETYPE_COUNT + a];
      if (given[cl] == (pe_archetype)major)
        right += size;
      else
        fprintf(stderr, "\n  cluster %d (%lld customers): planted majority %s, given %s", cl,
                (long long)size, pe_archetype_key(major), pe_archetype_key(given[cl]));
    }
    o->archetype_accuracy = (double)right / (double)n;
    free(count);
  }
  pe_persona_report_free(r);
  pe_persona_data_free(data);
done:
  free(truth);
  pe_persona_clustering_free(c);
  pe_features_free(f);
}

static void test_planted_with_sessions(void) {
  outcome o;
  run_pipeline(1, PE_ARCHETYPE_COUNT, &o);
  fprintf(stderr, "\n  with sessions: K = %d, ARI %.4f, archetype = planted majority for %.1f%%\n",
          o.k, o.ari, 100 * o.archetype_accuracy);
  /* The acceptance target (docs/personas.md has the measurements: plain
   * log1p + standardise with scikit-learn reaches ~0.65 on this data). */
  CU_ASSERT(o.ari >= 0.9);
  CU_ASSERT(o.archetype_accuracy >= 0.9);
}

/* Without sessions the four session archetypes (bouncer, passive browser,
 * cart abandoner, impulse buyer) cannot be told apart and must not be
 * offered; the six others still are. */
static void test_planted_without_sessions(void) {
  outcome o;
  run_pipeline(0, 7, &o);
  fprintf(stderr,
          "\n  without sessions: K = %d, ARI %.4f, archetype = planted majority for "
          "%.1f%%\n",
          o.k, o.ari, 100 * o.archetype_accuracy);
  PE_ASSERT_EQ_LL(o.session_archetypes, 0);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"planted archetypes, with sessions", test_planted_with_sessions},
      {"planted archetypes, transactions only", test_planted_without_sessions},
      CU_TEST_INFO_NULL};
  static const pe_test_suite suites[] = {{"persona_planted", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
