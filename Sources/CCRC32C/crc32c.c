// CRC-32C with the SSE 4.2 `crc32` instruction, chosen at run time: the instruction computes the
// Castagnoli polynomial that RecordBatch v2 uses, eight bytes per instruction.
#include "CCRC32C.h"

#include <string.h>

#if defined(__x86_64__)

#include <pthread.h>

// The instruction takes three cycles to give its result but can start one every cycle, so one
// chain of it runs at a third of the speed the CPU could. Long inputs are cut into three lanes
// computed side by side, each from a zero register, then joined: the register after lane A then
// lane B is (the register after A, moved past |B| zero bytes) xor (the register of B alone), as
// the CRC is linear. Moving a register past a fixed count of zero bytes is a lookup in four
// tables of 256 entries, built once.
enum { long_lane = 4096, short_lane = 256 };
static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];
static pthread_once_t shift_tables_once = PTHREAD_ONCE_INIT;

// The register after one zero byte (reflected Castagnoli polynomial).
static uint32_t past_zero_byte(uint32_t r) {
    for (int bit = 0; bit < 8; bit++) r = (r & 1) ? (r >> 1) ^ 0x82F63B78u : r >> 1;
    return r;
}

// table[k][b]: the register with byte b at byte k (and zeros elsewhere) moved past `zeros` zero
// bytes. Moving is linear, so it is built from the 32 single-bit registers.
static void build_shift(uint32_t table[4][256], size_t zeros) {
    uint32_t single[32];
    for (int bit = 0; bit < 32; bit++) {
        uint32_t r = 1u << bit;
        for (size_t n = 0; n < zeros; n++) r = past_zero_byte(r);
        single[bit] = r;
    }
    for (int k = 0; k < 4; k++) {
        for (int b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int bit = 0; bit < 8; bit++) {
                if (b & (1 << bit)) v ^= single[8 * k + bit];
            }
            table[k][b] = v;
        }
    }
}

static void build_shift_tables(void) {
    build_shift(long_shift, long_lane);
    build_shift(short_shift, short_lane);
}

static inline uint32_t shift(const uint32_t table[4][256], uint32_t r) {
    return table[0][r & 0xff] ^ table[1][(r >> 8) & 0xff] ^ table[2][(r >> 16) & 0xff] ^ table[3][r >> 24];
}

int samsa_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("sse4.2")) return 0;
    pthread_once(&shift_tables_once, build_shift_tables);
    return 1;
}

// Three lanes of `lane` bytes each, for as long as the input has them.
__attribute__((target("sse4.2")))
static uint64_t three_lanes(uint64_t crc, const unsigned char **bytes, size_t *length, size_t lane,
                            const uint32_t table[4][256]) {
    const unsigned char *p = *bytes;
    while (*length >= 3 * lane) {
        uint64_t second = 0, third = 0;
        const unsigned char *end = p + lane;
        while (p < end) {
            uint64_t a, b, c;
            memcpy(&a, p, 8);
            memcpy(&b, p + lane, 8);
            memcpy(&c, p + 2 * lane, 8);
            crc = __builtin_ia32_crc32di(crc, a);
            second = __builtin_ia32_crc32di(second, b);
            third = __builtin_ia32_crc32di(third, c);
            p += 8;
        }
        crc = shift(table, (uint32_t)crc) ^ (uint32_t)second;
        crc = shift(table, (uint32_t)crc) ^ (uint32_t)third;
        p += 2 * lane;
        *length -= 3 * lane;
    }
    *bytes = p;
    return crc;
}

__attribute__((target("sse4.2")))
uint32_t samsa_crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t wide = crc;
    pthread_once(&shift_tables_once, build_shift_tables);
    wide = three_lanes(wide, &p, &length, long_lane, long_shift);
    wide = three_lanes(wide, &p, &length, short_lane, short_shift);
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
