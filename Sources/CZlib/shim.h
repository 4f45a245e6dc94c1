#ifndef SAMSA_CZLIB_SHIM_H
#define SAMSA_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 and deflateInit2 are function-like macros (they pass the header's version and the
   stream's size for a run-time check), which Swift cannot call; these wrappers can be. */

/* Window bits 15 + 16: a gzip stream (RFC 1952) with the largest window, as Kafka's codec writes. */
static inline int samsa_gzip_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

static inline int samsa_gzip_deflate_init(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
