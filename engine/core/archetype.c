#include "personae/archetype.h"

static const char *const keys[] = {
#define PE__ARCH_KEY(name, key, label) key,
    PE_ARCHETYPE_MAP(PE__ARCH_KEY)
#undef PE__ARCH_KEY
};

static const char *const labels[] = {
#define PE__ARCH_LABEL(name, key, label) label,
    PE_ARCHETYPE_MAP(PE__ARCH_LABEL)
#undef PE__ARCH_LABEL
};

const char *pe_archetype_key(pe_archetype a) {
  return (unsigned)a < PE_ARCHETYPE_COUNT ? keys[a] : 0;
}

const char *pe_archetype_label(pe_archetype a) {
  return (unsigned)a < PE_ARCHETYPE_COUNT ? labels[a] : 0;
}
