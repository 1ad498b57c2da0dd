/* One-byte tags beside the slots of an open-addressing table (linear
 * probing), compared sixteen at a time.
 *
 * A slot's tag is 0 while it is empty, else 0x80 | 7 bits of the key's hash
 * that the slot position does not use. A lookup loads the sixteen tags from
 * the key's home slot on and learns in a few instructions which slots might
 * hold the key and where the first empty one is, instead of walking the run
 * entry by entry: a probe then reads a full entry only where the tag matches
 * (one wrong candidate in 128 occupied slots), and a key that is absent costs
 * no entry read at all. (This is the control-byte idea of Abseil's
 * flat_hash_map and of Rust's hashbrown, on top of plain linear probing.)
 *
 * Linear probing finds a key before the first empty slot of its run, so
 * candidates after that empty slot are discarded: the same slots decide as
 * in an entry-by-entry walk, and the table's layout is the same either way. */
#ifndef PE_CORE_TAG_GROUP_H
#define PE_CORE_TAG_GROUP_H

#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PE_TAG_GROUP 16

/* The tag of a key whose 64-bit hash is h (positions use the low bits). */
static inline uint8_t pe_tag_of(uint64_t h) {
  return (uint8_t)(0x80u | (unsigned)(h >> 57));
}

/* Turns the raw masks of a group (bit i: tag i equals the key's, tag i is
 * empty) into pe_tag_group's answer. */
static inline void pe__tag_decide(unsigned m, unsigned e, unsigned *match, unsigned *empty) {
  e &= -e;
  *match = e ? m & (e - 1) : m;
  *empty = e;
}

/* pe_tag_group one byte at a time: the definition, and what non-x86 builds
 * use. */
static inline void pe_tag_group_portable(const uint8_t *tags, uint8_t tag, unsigned *match,
                                         unsigned *empty) {
  unsigned m = 0, e = 0;
  for (int i = 0; i < PE_TAG_GROUP; i++) {
    m |= (unsigned)(tags[i] == tag) << i;
    e |= (unsigned)(tags[i] == 0) << i;
  }
  pe__tag_decide(m, e, match, empty);
}

/* For the PE_TAG_GROUP tags at `tags`: bit i of *match is set where tag i
 * equals `tag` and lies before the first empty slot, and *empty has only the
 * bit of that first empty slot (0: none in the group). */
static inline void pe_tag_group(const uint8_t *tags, uint8_t tag, unsigned *match,
                                unsigned *empty) {
#ifdef __SSE2__
  const __m128i g = _mm_loadu_si128((const __m128i *)(const void *)tags);
  pe__tag_decide((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_set1_epi8((char)tag))),
                 (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(g, _mm_setzero_si128())), match, empty);
#else
  pe_tag_group_portable(tags, tag, match, empty);
#endif
}

#endif
