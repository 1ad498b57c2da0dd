/* personae: customer data in, shopper personas out.
 *
 * The public C API. All symbols start with `pe_` or `personae_`; handles are
 * opaque and come in create/free pairs where free(NULL) is a no-op. No
 * HDF5, MPI or intrinsics leak through these headers. */
#ifndef PERSONAE_H
#define PERSONAE_H

#include "personae/status.h"
#include "personae/process.h"
#include "personae/results.h"
#include "personae/rfm.h"
#include "personae/features.h"
#include "personae/import.h"
#include "personae/kmeans.h"
#include "personae/archetype.h"
#include "personae/generate.h"
#include "personae/persona.h"

#endif
