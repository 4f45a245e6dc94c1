// CRC-32C with the SSE 4.2 `crc32` instruction, chosen at run time: the instruction computes the
// Castagnoli polynomial that RecordBatch v2 uses, eight bytes per instruction.
#include "CCRC32C.h"

#include <string.h>

#if defined(__x86_64__)

int samsa_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t samsa_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t wide = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        wide = __builtin_ia32_crc32di(wide, word);
        p += 8;
        length -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (length > 0) {
        narrow = __builtin_ia32_crc32qi(narrow, *p);
        p += 1;
        length -= 1;
    }
    return narrow;
}

#else

int samsa_crc32c_hardware_available(void) { return 0; }

uint32_t samsa_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return crc;
}

#endif
