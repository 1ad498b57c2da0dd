/* Optimal archetype assignment: when two clusters both look most like, say,
 * repeat buyers, the one that fits better keeps the archetype and the other
 * takes its next best, so that the total fit over all clusters is maximal.
 *
 * With A offered archetypes (A <= 10) and k <= A clusters this is a
 * maximum-weight one-to-one matching. With k > A every archetype is used at
 * least once and the clusters beyond the matching take their own best
 * archetype; the total score over all clusters is maximal. Both are solved
 * exactly by dynamic programming over clusters and subsets of used
 * archetypes, O(k * 2^A * A). The report qualifies duplicates ("high value" /
 * "low value"). */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "persona/persona_internal.h"

static int popcount(unsigned v) {
  int c = 0;
  for (; v; v &= v - 1) c++;
  return c;
}

pe_status pe__archetype_assign(int k, const double *score, const int *offered,
                               pe_archetype *assigned) {
  int list[PE_ARCHETYPE_COUNT], a_count = 0;
  for (int a = 0; a < PE_ARCHETYPE_COUNT; a++)
    if (offered[a]) list[a_count++] = a;
  PE_FAIL_IF(a_count == 0, PE_ERR_DATA, "describe: no archetype can be recognised in this data");
  PE_FAIL_IF(k < 1, PE_ERR_USAGE, "describe: there are no clusters to describe");
  const int matched = k < a_count ? k : a_count;
  const int spare = k - matched; /* clusters left out of the matching */
  const size_t masks = (size_t)1 << a_count;
  double *best = malloc((size_t)(k + 1) * masks * sizeof *best);
  signed char *choice = malloc((size_t)k * masks);
  if (!best || !choice) {
    free(best);
    free(choice);
    return pe__fail(PE_ERR_NOMEM, "describe: out of memory for the archetype assignment");
  }
  double *best_score = malloc((size_t)k * sizeof *best_score);
  int *best_of = malloc((size_t)k * sizeof *best_of);
  if (!best_score || !best_of) {
    free(best);
    free(choice);
    free(best_score);
    free(best_of);
    return pe__fail(PE_ERR_NOMEM, "describe: out of memory for the archetype assignment");
  }
  for (int i = 0; i < k; i++) {
    best_of[i] = list[0];
    for (int t = 1; t < a_count; t++)
      if (score[(size_t)i * PE_ARCHETYPE_COUNT + list[t]] >
          score[(size_t)i * PE_ARCHETYPE_COUNT + best_of[i]])
        best_of[i] = list[t];
    best_score[i] = score[(size_t)i * PE_ARCHETYPE_COUNT + best_of[i]];
  }
  for (size_t i = 0; i < (size_t)(k + 1) * masks; i++) best[i] = -INFINITY;
  best[0] = 0.0;
  for (int i = 0; i < k; i++) {
    double *now = best + (size_t)i * masks, *next = best + (size_t)(i + 1) * masks;
    signed char *pick = choice + (size_t)i * masks;
    for (size_t m = 0; m < masks; m++) pick[m] = -2;
    for (size_t m = 0; m < masks; m++) {
      if (now[m] == -INFINITY) continue;
      const int skipped = i - popcount((unsigned)m);
      /* Leave cluster i out of the matching: it will take its best archetype. */
      if (skipped < spare && now[m] + best_score[i] > next[m]) {
        next[m] = now[m] + best_score[i];
        pick[m] = -1;
      }
      for (int j = 0; j < a_count; j++) {
        if (m & ((size_t)1 << j)) continue;
        const size_t to = m | ((size_t)1 << j);
        const double v = now[m] + score[(size_t)i * PE_ARCHETYPE_COUNT + list[j]];
        if (v > next[to]) {
          next[to] = v;
          pick[to] = (signed char)j;
        }
      }
    }
  }
  /* The best full matching, then walk the choices back. */
  size_t end = 0;
  double end_value = -INFINITY;
  for (size_t m = 0; m < masks; m++)
    if (popcount((unsigned)m) == matched && best[(size_t)k * masks + m] > end_value)
      end_value = best[(size_t)k * masks + m], end = m;
  for (int i = k - 1; i >= 0; i--) {
    const int j = choice[(size_t)i * masks + end];
    if (j >= 0) {
      assigned[i] = (pe_archetype)list[j];
      end &= ~((size_t)1 << j);
    } else {
      assigned[i] = (pe_archetype)best_of[i];
    }
  }
  free(best);
  free(choice);
  free(best_score);
  free(best_of);
  return PE_OK;
}
