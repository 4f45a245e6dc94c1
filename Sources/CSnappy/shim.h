#ifndef SAMSA_CSNAPPY_SHIM_H
#define SAMSA_CSNAPPY_SHIM_H
/* Snappy's C interface: raw blocks only; the framing Kafka's Java client adds is parsed in Swift. */
#include <stddef.h>
#include <snappy-c.h>
#endif
