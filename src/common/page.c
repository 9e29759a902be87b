/* SPDX-License-Identifier: MIT */
#include "common/page.h"

#include <unistd.h>

size_t xs_page_size(void)
{
	static size_t cached;
	size_t n = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (!n) {
		long v = sysconf(_SC_PAGESIZE);

		/* Never fails on Linux; the check keeps the promise above regardless. */
		n = v >= (long)XS_PAGE_MIN && !(v & (v - 1)) ? (size_t)v : XS_PAGE_MIN;
		__atomic_store_n(&cached, n, __ATOMIC_RELAXED);
	}
	return n;
}
