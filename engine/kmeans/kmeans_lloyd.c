/* Lloyd's algorithm: assign every point to its nearest centroid, move every
 * centroid to the weighted mean of its points, repeat. */
#include <stdlib.h>

#include "core/error.h"
#include "kmeans/kmeans_internal.h"

/* centers <- sums / counts (clusters left empty keep their centroid);
 * returns the total squared shift. */
static double update_centers(int k, int d, const double *sums, const double *counts,
                             float *centers) {
  double shift = 0.0;
  for (int j = 0; j < k; j++) {
    if (counts[j] == 0.0) continue;
    for (int t = 0; t < d; t++) {
      size_t e = (size_t)j * d + t;
      float c = (float)(sums[e] / counts[j]);
      double diff = (double)c - (double)centers[e];
      shift += diff * diff;
      centers[e] = c;
    }
  }
  return shift;
}

static int has_empty(int k, const double *counts) {
  for (int j = 0; j < k; j++)
    if (counts[j] == 0.0) return 1;
  return 0;
}

pe_status pe__kmeans_lloyd(const pe__kmeans_data *data, const pe__kmeans_run_params *p,
                           float *centers, int32_t *labels, pe__kmeans_run_result *res) {
  const int k = p->k, d = data->d;
  double *sums = malloc((size_t)k * d * sizeof(double));
  double *counts = malloc((size_t)k * sizeof(double));
  /* Point distances are only needed to relocate empty clusters, which is
   * rare: the array is allocated on the first need and filled directly,
   * O(n d), from the labels (a second assignment pass for the kernel's own
   * distances cost a whole iteration: 145 ms on (2e5, 128, 1024)). */
  float *dist = NULL;
  int relocated = 0;
  pe__kmeans_scratch *scratch = NULL;
  pe_status st = PE_OK;
  if (!sums || !counts) {
    st = pe__fail(PE_ERR_NOMEM, "k-means: out of memory for centroid sums");
    goto done;
  }
  PE_CHECK_GOTO(pe__kmeans_scratch_alloc(data, k, &scratch), st, done);
  res->iterations = 0;
  res->converged = 0;
  res->labels_final = 0;

  for (int it = 1; it <= p->max_iter; it++) {
    double t0 = pe__kmeans_now();
    /* From the second iteration on, sums/counts are those of the labels the
     * pass starts from, unless a relocation changed them: then only the
     * points that change label need to move between clusters. Unweighted
     * data only: integer counts then return exactly to 0 when a cluster
     * empties, where float weights could leave a residue. */
    pe__kmeans_pass_out out = {.sums = sums,
                               .counts = counts,
                               .incremental = it > 1 && !relocated && !data->w,
                               .labels_unset = it == 1,
                               .want_inertia = p->progress != NULL};
    PE_CHECK_GOTO(pe__kmeans_assign_pass(data, centers, k, scratch, labels, NULL, &out), st, done);
    relocated = 0;
    if (has_empty(k, counts)) {
      relocated = 1;
      if (!dist && !(dist = malloc((size_t)data->n * sizeof(float)))) {
        st = pe__fail(PE_ERR_NOMEM, "k-means: out of memory for point distances");
        goto done;
      }
      pe__kmeans_assigned_distances(data, centers, labels, dist);
      pe__kmeans_relocate_empty(data, k, labels, dist, sums, counts);
    }
    double shift = update_centers(k, d, sums, counts, centers);
    res->iterations = it;
    if (p->progress) {
      pe_kmeans_iteration info = {p->run, it, out.inertia, out.moved, shift, pe__kmeans_now() - t0};
      p->progress(p->progress_ctx, &info);
    }
    /* The labels are those of `centers` exactly when the update did not move
     * any centroid by a single bit. */
    if (shift == 0.0) res->labels_final = 1;
    /* No label changed: the next update would reproduce these centroids
     * (scikit-learn's "strict convergence"). */
    if (out.moved == 0 || shift <= p->tol_abs) {
      res->converged = 1;
      break;
    }
  }
done:
  pe__kmeans_scratch_free(data, scratch);
  free(dist);
  free(sums);
  free(counts);
  return st;
}
