#ifndef RALLY_CZLIB_SHIM_H
#define RALLY_CZLIB_SHIM_H
#include <zlib.h>

/// deflateInit2/inflateInit2 are macros in zlib.h; Swift cannot call macros, so wrap them.
static inline int rally_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}
/// As rally_deflateInit2 with an explicit strategy (Z_RLE keeps every match distance at 1, which fits any window).
static inline int rally_deflateInit2WithStrategy(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
static inline int rally_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
