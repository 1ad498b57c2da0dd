/* CPU feature detection: cpuid says what the processor implements, XGETBV
 * says whether the OS saves the wider registers on a context switch (a CPU
 * with AVX-512 under an OS that does not enable ZMM state must not use it).
 * This file is compiled without ISA flags, so it never executes an
 * instruction the CPU might lack. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XCR0 bits: x87|SSE|AVX state, and opmask|ZMM_Hi256|Hi16_ZMM state. */
enum { XCR0_AVX_STATE = 0x6, XCR0_AVX512_STATE = 0xE0 };

static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

static void detect(pe_cpu_features *f) {
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
    memcpy(f->vendor, &ebx, 4);
    memcpy(f->vendor + 4, &edx, 4);
    memcpy(f->vendor + 8, &ecx, 4);
    f->vendor[12] = '\0';
  }
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
  const int base_family = (int)((eax >> 8) & 0xF);
  f->family = base_family == 0xF ? base_family + (int)((eax >> 20) & 0xFF) : base_family;
  f->sse42 = (ecx >> 20) & 1;
  f->fma = (ecx >> 12) & 1;
  f->avx = (ecx >> 28) & 1;
  int osxsave = (ecx >> 27) & 1;
  if (__get_cpuid_max(0, NULL) >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    f->avx2 = (ebx >> 5) & 1;
    f->avx512f = (ebx >> 16) & 1;
    f->avx512dq = (ebx >> 17) & 1;
  }
  if (osxsave) {
    uint64_t xcr0 = read_xcr0();
    f->os_avx = (xcr0 & XCR0_AVX_STATE) == XCR0_AVX_STATE;
    f->os_avx512 = f->os_avx && (xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE;
  }
}
#else
static void detect(pe_cpu_features *f) {
  (void)f;
}
#endif

/* PERSONAE_CPU_DISABLE=avx512,avx2,fma hides features the CPU has, so the
 * dispatch, the fallbacks and the test skips of a lesser CPU can be
 * exercised on this one. */
static void apply_disable(pe_cpu_features *f, const char *list) {
  static const struct {
    const char *name;
    size_t offset;
  } hideable[] = {{"avx512", offsetof(pe_cpu_features, avx512f)},
                  {"avx2", offsetof(pe_cpu_features, avx2)},
                  {"fma", offsetof(pe_cpu_features, fma)}};
  while (list && *list) {
    size_t len = strcspn(list, ",");
    int known = 0;
    for (size_t i = 0; i < sizeof hideable / sizeof hideable[0]; i++)
      if (len == strlen(hideable[i].name) && strncmp(list, hideable[i].name, len) == 0) {
        *(int *)((char *)f + hideable[i].offset) = 0;
        known = 1;
      }
    if (!known && len > 0 && !f->disable_unknown[0])
      snprintf(f->disable_unknown, sizeof f->disable_unknown, "%.*s",
               (int)(len < sizeof f->disable_unknown - 1 ? len : sizeof f->disable_unknown - 1),
               list);
    list += len;
    if (*list == ',') list++;
  }
}

static pe_cpu_features features;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

/* PERSONAE_CPU_VENDOR=AuthenticAMD (any cpuid vendor string), optionally
 * with a family (AuthenticAMD:0x19), makes the dispatch use that core's
 * dot-form thresholds, so each row of kernel_auto.c can be exercised on any
 * machine. */
static void apply_vendor(pe_cpu_features *f, const char *vendor) {
  if (!vendor || !*vendor) return;
  const size_t len = strcspn(vendor, ":");
  snprintf(f->vendor, sizeof f->vendor, "%.*s", (int)(len < 12 ? len : 12), vendor);
  if (vendor[len] == ':') f->family = (int)strtol(vendor + len + 1, NULL, 0);
}

static void detect_once(void) {
  detect(&features);
  apply_disable(&features, getenv("PERSONAE_CPU_DISABLE"));
  apply_vendor(&features, getenv("PERSONAE_CPU_VENDOR"));
}

const pe_cpu_features *pe_kernel_cpu(void) {
  pthread_once(&features_once, detect_once);
  return &features;
}
