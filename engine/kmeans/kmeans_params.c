/* Parameter defaults, names of algorithms and inits, and the algorithm
 * slot table. */
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "kmeans/kmeans_internal.h"

pe_kmeans_params pe_kmeans_params_default(void) {
  pe_kmeans_params p;
  memset(&p, 0, sizeof p);
  p.k = 0;
  p.max_iter = 300;
  p.tol = 1e-4;
  p.n_init = 1;
  p.init = PE_KMEANS_INIT_KMEANSPP;
  p.seed = 0;
  p.kernel = "auto";
  p.algorithm = PE_KMEANS_LLOYD;
  p.threads = 0;
  return p;
}

/* An algorithm is a name and a run function; NULL run = planned, not built. */
static const struct {
  const char *name;
  pe__kmeans_algorithm_fn run;
} algorithms[] = {
    {"lloyd", pe__kmeans_lloyd},
    {"hamerly", NULL},
    {"elkan", NULL},
    {"yinyang", NULL},
};

enum { ALGORITHM_NAMES = sizeof algorithms / sizeof algorithms[0] };

pe_status pe_kmeans_algorithm_parse(const char *name, pe_kmeans_algorithm *out) {
  for (int a = 0; a < ALGORITHM_NAMES; a++) {
    if (strcmp(name, algorithms[a].name) != 0) continue;
    PE_FAIL_IF(!algorithms[a].run || a >= PE_KMEANS_ALGORITHM_COUNT, PE_ERR_UNSUPPORTED,
               "k-means algorithm '%s' is not implemented yet; use lloyd", name);
    *out = (pe_kmeans_algorithm)a;
    return PE_OK;
  }
  return pe__fail(PE_ERR_USAGE, "unknown k-means algorithm '%s' (expected lloyd)", name);
}

const char *pe_kmeans_algorithm_name(pe_kmeans_algorithm a) {
  return (unsigned)a < PE_KMEANS_ALGORITHM_COUNT ? algorithms[a].name : "unknown";
}

pe__kmeans_algorithm_fn pe__kmeans_algorithm_get(pe_kmeans_algorithm a) {
  return (unsigned)a < PE_KMEANS_ALGORITHM_COUNT ? algorithms[a].run : NULL;
}

const char *pe_kmeans_init_name(pe_kmeans_init init) {
  switch (init) {
    case PE_KMEANS_INIT_KMEANSPP: return "kmeans++";
    case PE_KMEANS_INIT_RANDOM: return "random";
    case PE_KMEANS_INIT_GIVEN: return "given";
  }
  return "unknown";
}

double pe__kmeans_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
