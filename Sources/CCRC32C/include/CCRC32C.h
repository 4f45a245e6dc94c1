#ifndef SAMSA_CCRC32C_H
#define SAMSA_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE 4.2 `crc32` instruction (x86-64), 0 otherwise.
int samsa_crc32c_hardware_available(void);

/// Continues a CRC-32C over `length` bytes with the `crc32` instruction. `crc` is the running
/// register, already inverted (the caller inverts before and after). Only call it when
/// samsa_crc32c_hardware_available() returned 1.
uint32_t samsa_crc32c_hardware(uint32_t crc, const void *bytes, size_t length);

#endif
