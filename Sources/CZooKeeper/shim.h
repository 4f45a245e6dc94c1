#ifndef SAMSA_CZOOKEEPER_SHIM_H
#define SAMSA_CZOOKEEPER_SHIM_H
/* The multi-threaded client: its I/O and completion threads run inside the library. */
#define THREADED 1
#include <zookeeper/zookeeper.h>
#endif
