#ifndef SAMSA_CLZ4_SHIM_H
#define SAMSA_CLZ4_SHIM_H
/* The LZ4 frame format: Kafka's lz4 batches are standard frames with a correct header checksum (KIP-57). */
#include <lz4frame.h>
#endif
