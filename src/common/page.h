/* SPDX-License-Identifier: MIT */
/*
 * The page size: of this machine, and so of the targets on it (4 KiB on
 * x86-64; 4, 16 or 64 KiB on aarch64). Everything that lays out, places or
 * protects memory by pages, or indexes /proc/PID/pagemap, asks here.
 */
#ifndef XS_PAGE_H
#define XS_PAGE_H

#include <stddef.h>

/*
 * The smallest page size of any architecture xsplice runs on. Fixed-size
 * buffers that read a block without crossing a page (a stack's top, the
 * unwinder's memory cache) use it: such a block, aligned to it, is inside
 * one page whatever the page size.
 */
#define XS_PAGE_MIN 4096u

/* From sysconf(_SC_PAGESIZE), read once; a power of two, at least XS_PAGE_MIN. */
size_t xs_page_size(void);

#endif
