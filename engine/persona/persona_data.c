/* Gathering what a description needs: features, cluster labels, RFM and
 * demographics, all aligned on the features' ascending customer ids. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/h5.h"
#include "personae/features.h"
#include "persona/persona_internal.h"

struct pe_persona_data {
  pe_persona_input in;
  pe_features *features;  /* when loaded from a results file */
  pe_kmeans_model *model; /* idem */
  pe_feature *columns;
  int16_t *segment;
  int64_t rfm_matched; /* customers that found their /rfm row */
  uint8_t *r, *f;
  char **segment_names;
  int segment_count;
  int16_t *age;
  float *income;
  int32_t *region;
};

void pe_persona_data_free(pe_persona_data *d) {
  if (!d) return;
  pe_features_free(d->features);
  pe_kmeans_model_free(d->model);
  free(d->columns);
  free(d->segment);
  free(d->r);
  free(d->f);
  for (int s = 0; s < d->segment_count && d->segment_names; s++) free(d->segment_names[s]);
  free(d->segment_names);
  free(d->age);
  free(d->income);
  free(d->region);
  free(d);
}

const pe_persona_input *pe_persona_data_input(const pe_persona_data *d) {
  return d ? &d->in : NULL;
}

static int ascending(const int64_t *ids, int64_t n) {
  for (int64_t i = 1; i < n; i++)
    if (ids[i] <= ids[i - 1]) return 0;
  return 1;
}

/* Aligns RFM rows (ascending ids) with the customers; customers without an
 * RFM row get segment 0 ("No Purchase") and scores 0. */
static pe_status join_rfm(pe_persona_data *d, int64_t rn, const int64_t *rid, const int16_t *seg,
                          const uint8_t *r, const uint8_t *f) {
  const int64_t n = d->in.n;
  const int64_t *ids = d->in.customer_id;
  PE_FAIL_IF(!ascending(rid, rn), PE_ERR_DATA, "/rfm/customer_id is not strictly ascending");
  d->segment = calloc((size_t)n, sizeof *d->segment);
  d->r = calloc((size_t)n, 1);
  d->f = calloc((size_t)n, 1);
  PE_FAIL_IF(!d->segment || !d->r || !d->f, PE_ERR_NOMEM, "describe: out of memory joining RFM");
  int64_t j = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t id = ids ? ids[i] : i;
    while (j < rn && rid[j] < id) j++;
    if (j < rn && rid[j] == id) {
      d->rfm_matched++;
      d->segment[i] = seg[j];
      d->r[i] = r ? r[j] : 0;
      d->f[i] = f ? f[j] : 0;
    }
  }
  d->in.rfm_segment = d->segment;
  d->in.rfm_r = d->r;
  d->in.rfm_f = d->f;
  return PE_OK;
}

static pe_status copy_names(pe_persona_data *d, int count, const char *const *names) {
  d->segment_names = calloc((size_t)(count > 0 ? count : 1), sizeof *d->segment_names);
  PE_FAIL_IF(!d->segment_names, PE_ERR_NOMEM, "describe: out of memory");
  d->segment_count = count;
  for (int s = 0; s < count; s++) {
    d->segment_names[s] = strdup(names && names[s] ? names[s] : "Unnamed");
    PE_FAIL_IF(!d->segment_names[s], PE_ERR_NOMEM, "describe: out of memory");
  }
  d->in.rfm_segment_count = count;
  d->in.rfm_segment_names = (const char *const *)d->segment_names;
  return PE_OK;
}

/* The index of `id` among the ascending ids[0..n), or -1. Customer ids are
 * usually spread evenly over their range (sequential numbers, hashes), so the
 * search starts where linear interpolation puts the id and widens by
 * doubling from there: one or two cache misses instead of twenty for a
 * plain binary search over millions of ids. */
static int64_t find_row(const int64_t *ids, int64_t n, int64_t id) {
  if (n == 0 || id < ids[0] || id > ids[n - 1]) return -1;
  const double span = (double)ids[n - 1] - (double)ids[0];
  int64_t guess = span > 0 ? (int64_t)(((double)id - (double)ids[0]) / span * (double)(n - 1)) : 0;
  if (guess < 0) guess = 0;
  if (guess > n - 1) guess = n - 1;
  int64_t lo, hi; /* ids[lo] <= id < ids[hi], hi may be n */
  if (ids[guess] <= id) {
    int64_t step = 1;
    lo = guess;
    hi = guess + 1;
    while (hi < n && ids[hi] <= id) lo = hi, hi += step, step *= 2;
    if (hi > n) hi = n;
  } else {
    int64_t step = 1;
    hi = guess;
    lo = guess - 1;
    while (lo > 0 && ids[lo] > id) hi = lo, lo -= step, step *= 2;
    if (lo < 0) lo = 0;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (ids[mid] <= id)
      lo = mid;
    else
      hi = mid;
  }
  return ids[lo] == id ? lo : -1;
}

/* Reads /customers of the input (when present) and aligns age, income and
 * region with the customers. */
static pe_status load_customers(pe_persona_data *d, const char *input) {
  if (!input) return PE_OK;
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(input, &fid));
  pe_status st = PE_OK;
  int64_t *cid = NULL;
  uint8_t *seen = NULL;
  int16_t *age = NULL;
  float *income = NULL;
  int32_t *region = NULL;
  int64_t rows = 0, r2 = 0;
  const char *short_column = NULL;
  if (!pe_h5_exists(fid, "/customers") || !pe_h5_exists(fid, "/customers/customer_id")) goto done;
  PE_CHECK_GOTO(
      pe_h5_read_column_all(fid, input, "/customers/customer_id", PE_I64, (void **)&cid, &rows), st,
      done);
  if (pe_h5_exists(fid, "/customers/age"))
    PE_CHECK_GOTO(pe_h5_read_column_all(fid, input, "/customers/age", PE_I16, (void **)&age, &r2),
                  st, done);
  if (age && r2 != rows) {
    short_column = "/customers/age";
    goto mismatch;
  }
  if (pe_h5_exists(fid, "/customers/income"))
    PE_CHECK_GOTO(
        pe_h5_read_column_all(fid, input, "/customers/income", PE_F32, (void **)&income, &r2), st,
        done);
  if (income && r2 != rows) {
    short_column = "/customers/income";
    goto mismatch;
  }
  if (pe_h5_exists(fid, "/customers/region"))
    PE_CHECK_GOTO(
        pe_h5_read_column_all(fid, input, "/customers/region", PE_I32, (void **)&region, &r2), st,
        done);
  if (region && r2 != rows) {
    short_column = "/customers/region";
    goto mismatch;
  }
  if (!age && !income && !region) goto done;
  /* /customers may come in any order (generated data is in generation
   * order): look each row up among the ascending customer ids instead of
   * sorting the table. Customers without a row stay unknown; a duplicated
   * customer row keeps its first occurrence. */
  const int64_t n = d->in.n;
  if (age) d->age = calloc((size_t)n, sizeof *d->age);
  if (income) d->income = malloc((size_t)n * sizeof *d->income);
  if (region) d->region = malloc((size_t)n * sizeof *d->region);
  seen = calloc((size_t)n, 1);
  if (!seen || (age && !d->age) || (income && !d->income) || (region && !d->region)) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory joining /customers", input);
    goto done;
  }
  for (int64_t i = 0; i < n; i++) {
    if (d->income) d->income[i] = -1.0f;
    if (d->region) d->region[i] = -1;
  }
  /* The lookups are independent (in parallel, into cid itself); the
   * assignment then runs in row order so that the first occurrence wins. */
  const int64_t *ids = d->in.customer_id;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < rows; j++)
    cid[j] = ids ? find_row(ids, n, cid[j]) : (cid[j] >= 0 && cid[j] < n ? cid[j] : -1);
  for (int64_t j = 0; j < rows; j++) {
    const int64_t i = cid[j];
    if (i < 0 || seen[i]) continue;
    seen[i] = 1;
    if (d->age) d->age[i] = age[j];
    if (d->income) d->income[i] = income[j];
    if (d->region) d->region[i] = region[j];
  }
  d->in.age = d->age;
  d->in.income = d->income;
  d->in.region = d->region;
  goto done;
mismatch:
  st = pe__fail(PE_ERR_DATA, "%s: %s has %lld rows but /customers/customer_id has %lld", input,
                short_column, (long long)r2, (long long)rows);
done:
  free(cid);
  free(seen);
  free(age);
  free(income);
  free(region);
  H5Fclose(fid);
  return st;
}

pe_status pe_persona_data_from_memory(const char *input, int64_t n, int d,
                                      const pe_feature *columns, const float *raw,
                                      const int64_t *customer_id, const int32_t *labels, int k,
                                      int has_sessions, int64_t rfm_count,
                                      const int64_t *rfm_customer_id, const int16_t *rfm_segment,
                                      const uint8_t *rfm_r, const uint8_t *rfm_f, int rfm_bins,
                                      int rfm_segment_count, const char *const *rfm_segment_names,
                                      pe_persona_data **out) {
  PE_FAIL_IF(!out, PE_ERR_USAGE, "describe: no output given");
  *out = NULL;
  PE_FAIL_IF(n < 1 || d < 1 || !columns || !raw || !labels || k < 1, PE_ERR_USAGE,
             "describe: features and labels are required");
  pe_persona_data *data = calloc(1, sizeof *data);
  PE_FAIL_IF(!data, PE_ERR_NOMEM, "describe: out of memory");
  data->in.n = n;
  data->in.d = d;
  data->in.columns = columns;
  data->in.raw = raw;
  data->in.customer_id = customer_id;
  data->in.labels = labels;
  data->in.k = k;
  data->in.has_sessions = has_sessions;
  data->in.rfm_bins = rfm_bins;
  pe_status st = PE_OK;
  if (rfm_count > 0 && rfm_customer_id && rfm_segment) {
    st = join_rfm(data, rfm_count, rfm_customer_id, rfm_segment, rfm_r, rfm_f);
    if (st == PE_OK) st = copy_names(data, rfm_segment_count, rfm_segment_names);
  }
  if (st == PE_OK) st = load_customers(data, input);
  if (st != PE_OK) {
    pe_persona_data_free(data);
    return st;
  }
  *out = data;
  return PE_OK;
}

/* Reads a 1-D dataset of variable-length strings. */
static pe_status read_strings(hid_t fid, const char *file, const char *path, char ***names,
                              int *count) {
  *names = NULL;
  *count = 0;
  hid_t did = H5Dopen2(fid, path, H5P_DEFAULT);
  PE_FAIL_IF(did < 0, PE_ERR_DATA, "%s: %s: cannot open", file, path);
  hid_t space = H5Dget_space(did);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  char **buf = n > 0 ? calloc((size_t)n, sizeof *buf) : NULL;
  pe_status st = PE_OK;
  if (n > 0 && (!buf || H5Dread(did, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)) {
    st = pe__fail(PE_ERR_DATA, "%s: %s: cannot read as strings", file, path);
  } else if (n > 0) {
    *names = calloc((size_t)n, sizeof **names);
    for (hssize_t i = 0; *names && i < n; i++) (*names)[i] = strdup(buf[i] ? buf[i] : "");
    if (!*names)
      st = pe__fail(PE_ERR_NOMEM, "out of memory");
    else
      *count = (int)n;
    H5Dvlen_reclaim(t, space, H5P_DEFAULT, buf);
  }
  free(buf);
  H5Tclose(t);
  H5Sclose(space);
  H5Dclose(did);
  return st;
}

static pe_status load_rfm(pe_persona_data *d, const char *results) {
  hid_t fid;
  PE_FORWARD(pe_h5_open_read(results, &fid));
  pe_status st = PE_OK;
  int64_t *rid = NULL, rows = 0, r2 = 0;
  int16_t *seg = NULL;
  uint8_t *r = NULL, *f = NULL;
  char **names = NULL;
  int count = 0;
  if (!pe_h5_exists(fid, "/rfm")) goto done;
  PE_CHECK_GOTO(
      pe_h5_read_column_all(fid, results, "/rfm/customer_id", PE_I64, (void **)&rid, &rows), st,
      done);
  static const char *const paths[] = {"/rfm/segment", "/rfm/r", "/rfm/f"};
  void **bufs[] = {(void **)&seg, (void **)&r, (void **)&f};
  const pe_dtype types[] = {PE_I16, PE_U8, PE_U8};
  for (int c = 0; c < 3; c++) {
    PE_CHECK_GOTO(pe_h5_read_column_all(fid, results, paths[c], types[c], bufs[c], &r2), st, done);
    if (r2 != rows) {
      st = pe__fail(PE_ERR_DATA, "%s: %s has %lld rows but /rfm/customer_id has %lld", results,
                    paths[c], (long long)r2, (long long)rows);
      goto done;
    }
  }
  double bins = 5;
  PE_CHECK_GOTO(pe_h5_attr_read_f64(fid, results, "/rfm", "bins", &bins), st, done);
  d->in.rfm_bins = (int)bins;
  PE_CHECK_GOTO(read_strings(fid, results, "/rfm/segment_names", &names, &count), st, done);
  for (int64_t i = 0; i < rows; i++)
    if (seg[i] < 0 || seg[i] >= count) {
      st = pe__fail(PE_ERR_DATA, "%s: /rfm/segment: row %lld is %d, but /rfm/segment_names has %d",
                    results, (long long)i, (int)seg[i], count);
      goto done;
    }
  PE_CHECK_GOTO(join_rfm(d, rows, rid, seg, r, f), st, done);
  if (rows > 0 && d->in.n > 0 && d->rfm_matched == 0) {
    st = pe__fail(PE_ERR_DATA,
                  "%s: /rfm/customer_id shares no customer with /features/customer_id; run the "
                  "steps on one input again",
                  results);
    goto done;
  }
  d->segment_names = names;
  d->segment_count = count;
  names = NULL;
  d->in.rfm_segment_count = count;
  d->in.rfm_segment_names = (const char *const *)d->segment_names;
done:
  for (int s = 0; names && s < count; s++) free(names[s]);
  free(names);
  free(rid);
  free(seg);
  free(r);
  free(f);
  H5Fclose(fid);
  return st;
}

pe_status pe_persona_data_load(const char *input, const char *results, const char *kmeans_results,
                               pe_persona_data **out) {
  PE_FAIL_IF(!out || !results, PE_ERR_USAGE, "describe: no results file given");
  *out = NULL;
  pe_persona_data *d = calloc(1, sizeof *d);
  PE_FAIL_IF(!d, PE_ERR_NOMEM, "describe: out of memory");
  /* Refuse to join groups computed from different inputs. */
  hid_t fid;
  pe_status st = pe_h5_open_read(results, &fid);
  if (st != PE_OK) goto fail;
  st = pe_h5_check_stamp(fid, results, "/features", input);
  if (st == PE_OK) st = pe_h5_check_stamp(fid, results, "/rfm", input);
  H5Fclose(fid);
  if (st != PE_OK) goto fail;
  st = pe_features_read(results, &d->features);
  if (st != PE_OK) goto fail;
  if (!kmeans_results) kmeans_results = results;
  st = pe_kmeans_model_load(kmeans_results, &d->model);
  if (st != PE_OK) goto fail;
  const int64_t n = pe_features_count(d->features);
  const int dim = pe_features_dim(d->features);
  if (pe_kmeans_model_d(d->model) != dim) {
    st = pe__fail(PE_ERR_DATA,
                  "%s: /kmeans/centroids has %d columns but %s:/features has %d features; run "
                  "`personae cluster` on /features/scaled again",
                  kmeans_results, pe_kmeans_model_d(d->model), results, dim);
    goto fail;
  }
  if (pe_kmeans_model_n(d->model) != n || !pe_kmeans_model_labels(d->model)) {
    st = pe__fail(PE_ERR_DATA,
                  "%s: /kmeans/labels has %lld rows but %s:/features has %lld customers; run "
                  "`personae cluster` on /features/scaled again",
                  kmeans_results, (long long)pe_kmeans_model_n(d->model), results, (long long)n);
    goto fail;
  }
  d->columns = malloc((size_t)dim * sizeof *d->columns);
  if (!d->columns) {
    st = pe__fail(PE_ERR_NOMEM, "describe: out of memory");
    goto fail;
  }
  int has_sessions = 0;
  for (int j = 0; j < dim; j++) {
    d->columns[j] = pe_features_column(d->features, j);
    has_sessions |= pe_feature_needs_sessions(d->columns[j]);
  }
  d->in.n = n;
  d->in.d = dim;
  d->in.columns = d->columns;
  d->in.raw = pe_features_raw(d->features);
  d->in.customer_id = pe_features_customer_ids(d->features);
  d->in.labels = pe_kmeans_model_labels(d->model);
  d->in.k = pe_kmeans_model_k(d->model);
  d->in.has_sessions = has_sessions;
  st = load_rfm(d, results);
  if (st == PE_OK) st = load_customers(d, input);
  if (st != PE_OK) goto fail;
  *out = d;
  return PE_OK;
fail:
  pe_persona_data_free(d);
  return st;
}
