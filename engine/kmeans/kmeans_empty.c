/* Deterministic relocation of empty clusters onto the points that are worst
 * served by their own centroid (scikit-learn's rule). */
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

typedef struct {
  float dist;
  int64_t index;
} far_point;

/* a is farther than b: larger distance, ties to the lower index. */
static int farther(far_point a, far_point b) {
  return a.dist > b.dist || (a.dist == b.dist && a.index < b.index);
}

/* Min-heap on "farther": the root is the nearest of the kept points, the one
 * a farther candidate replaces. */
static void sift_down(far_point *h, int m, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, s = i;
    if (l < m && farther(h[s], h[l])) s = l;
    if (r < m && farther(h[s], h[r])) s = r;
    if (s == i) return;
    far_point t = h[i];
    h[i] = h[s];
    h[s] = t;
    i = s;
  }
}

static void sift_up(far_point *h, int i) {
  while (i > 0) {
    int p = (i - 1) / 2;
    if (!farther(h[p], h[i])) return;
    far_point t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

static int by_farthest_first(const void *a, const void *b) {
  const far_point *x = a, *y = b;
  return farther(*x, *y) ? -1 : farther(*y, *x) ? 1 : 0;
}

int pe__kmeans_relocate_empty(const pe__kmeans_data *data, int k, const int32_t *labels,
                              const float *dist, double *sums, double *counts) {
  int n_empty = 0;
  for (int j = 0; j < k; j++) n_empty += counts[j] == 0.0;
  if (n_empty == 0) return 0;

  /* The n_empty farthest points with positive weight (a zero-weight point
   * cannot give a cluster a centroid). */
  far_point *heap = malloc((size_t)n_empty * sizeof *heap);
  if (!heap) return 0;
  int m = 0;
  for (int64_t i = 0; i < data->n; i++) {
    if (data->w && !(data->w[i] > 0.0f)) continue;
    far_point p = {dist[i], i};
    if (m < n_empty) {
      heap[m] = p;
      sift_up(heap, m++);
    } else if (farther(p, heap[0])) {
      heap[0] = p;
      sift_down(heap, m, 0);
    }
  }
  qsort(heap, (size_t)m, sizeof *heap, by_farthest_first);

  const int d = data->d;
  int used = 0;
  for (int j = 0; j < k && used < m; j++) {
    if (counts[j] != 0.0) continue;
    int64_t i = heap[used++].index;
    int32_t old = labels[i];
    double w = data->w ? (double)data->w[i] : 1.0;
    const float *xi = data->x + (size_t)i * d;
    for (int t = 0; t < d; t++) {
      sums[(size_t)old * d + t] -= w * xi[t];
      sums[(size_t)j * d + t] = w * xi[t];
    }
    counts[old] -= w;
    counts[j] = w;
  }
  free(heap);
  return used;
}
