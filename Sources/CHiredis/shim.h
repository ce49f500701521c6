#ifndef RALLY_CHIREDIS_SHIM_H
#define RALLY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>

/// redisReaderGetError is a macro in read.h; Swift cannot call macros, so wrap it.
static inline const char *rally_redisReaderError(redisReader *r) {
    return r->errstr;
}
/// How much unused buffer the reader keeps between feeds (0 = keep it forever); a field set by convention.
static inline void rally_redisReaderSetMaxBuf(redisReader *r, size_t maxbuf) {
    r->maxbuf = maxbuf;
}
/// Bytes fed to the reader and not yet parsed into a reply (a partial reply waiting for the rest).
static inline size_t rally_redisReaderPendingBytes(redisReader *r) {
    return r->buf == NULL ? 0 : r->len - r->pos;
}
#endif
