/* SPDX-License-Identifier: MIT */
/*
 * The page size (src/common/page.c): the machine's, the same on every call, and
 * one that the fixed-size blocks of XS_PAGE_MIN fit in whole.
 */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "common/page.h"
#include "unwind/stack_snap.h"
#include "unwind/stack_tops.h"

int main(void)
{
	size_t p = xs_page_size();

	check(p == (size_t)sysconf(_SC_PAGESIZE), "xs_page_size %zu is sysconf's %ld", p,
	      sysconf(_SC_PAGESIZE));
	check(xs_page_size() == p, "the same on a second call");
	check(p >= XS_PAGE_MIN && !(p & (p - 1)) && p % XS_PAGE_MIN == 0,
	      "a power of two, a multiple of XS_PAGE_MIN (%u)", XS_PAGE_MIN);
	check(XS_SNAP_PAGE <= p && XS_STACK_TOP_PAGE <= p,
	      "stack snapshot and stack top blocks fit in a page");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
