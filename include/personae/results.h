/* Writing several steps' groups into a results file as ONE atomic update.
 *
 * Each step's own write function (pe_rfm_write, pe_features_write, ...)
 * rewrites the whole results file: it copies the other groups into a fresh
 * temporary file, adds its own, flushes and renames. A pipeline that writes
 * four groups that way copies the earlier groups again at every step. With a
 * writer the groups go into one temporary file that is flushed and renamed
 * once; readers never see a half-updated file either way.
 *
 *   pe_results_writer *w;
 *   const char *groups[] = {"/rfm", "/features", NULL};
 *   if (pe_results_begin("shop.personae.h5", inputs, groups, &w) == PE_OK) {
 *     pe_status st = pe_rfm_write_into(rfm, w, "shop.h5");
 *     if (st == PE_OK) st = pe_features_write_into(features, w, "shop.h5");
 *     if (st == PE_OK) st = pe_results_commit(w); else pe_results_abort(w);
 *   }
 *
 * The large uncompressed columns and matrices of /rfm and /features are
 * written by the update's writer thread while the caller goes on: the
 * result passed to pe_rfm_write_into or pe_features_write_into must stay
 * alive, unchanged, until the commit or the abort.
 */
#ifndef PERSONAE_RESULTS_H
#define PERSONAE_RESULTS_H

#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pe_results_writer pe_results_writer;

/* Starts an update of the results file `path`. `inputs` (NULL-terminated,
 * may be NULL) are refused as `path`. `replaces` (NULL-terminated) names the
 * groups this update rewrites (and those that must go with them, e.g.
 * "/predict" with "/kmeans"); every other top-level object of an existing
 * results file is carried over. An existing `path` that is not HDF5 is never
 * overwritten. */
pe_status pe_results_begin(const char *path, const char *const *inputs,
                           const char *const *replaces, pe_results_writer **out);
/* The path being written (the final one, for messages). */
const char *pe_results_path(const pe_results_writer *w);
/* Flushes to disk and renames into place; frees `w` whatever the outcome. */
pe_status pe_results_commit(pe_results_writer *w);
/* Discards everything written; frees `w`. NULL is a no-op. */
void pe_results_abort(pe_results_writer *w);

#ifdef __cplusplus
}
#endif

#endif
