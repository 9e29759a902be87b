/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the stack snapshot (src/unwind/stack_snap.c), read from our own
 * memory: pages kept in address order and read as they are; a page that
 * cannot be read is missing, the others are there; nothing is handed out in
 * another era; more pages than it holds plans nothing.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "unwind/stack_snap.h"
#include "target/target.h"
#include "target/warm_pages.h"

#define PAGE 4096u

int main(void)
{
	unsigned char *mem =
	    mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uint64_t)(uintptr_t)mem;
	uint64_t list[3] = { base + 2 * PAGE, base, base + 3 * PAGE };
	struct xs_pages pages = { list, 3, 3 };
	struct xs_target t = { .pid = getpid() };
	struct xs_stack_snap s = { 0 };
	const unsigned char *p0, *p2, *p3;
	unsigned long era;

	if (mem == MAP_FAILED)
		return 1;
	for (int k = 0; k < 4; k++)
		memset(mem + k * PAGE, 'a' + k, PAGE);
	munmap(mem + 3 * PAGE, PAGE); /* listed, then gone: cannot be read */

	check(xs_snap_plan(&s, &pages) == 0 && s.n == 3 && s.addr[0] == base &&
	          s.addr[1] == base + 2 * PAGE && s.addr[2] == base + 3 * PAGE,
	      "plan: three pages kept, in address order");
	xs_target_new_era(&t);
	era = t.era;
	xs_snap_take(&s, &t);
	p0 = xs_snap_page(&s, base, era);
	p2 = xs_snap_page(&s, base + 2 * PAGE, era);
	p3 = xs_snap_page(&s, base + 3 * PAGE, era);
	check(p0 && p0[0] == 'a' && p0[PAGE - 1] == 'a' && p2 && p2[0] == 'c' &&
	          p2[PAGE - 1] == 'c',
	      "take: the readable pages hold what the memory held");
	check(!p3, "take: the unmapped page is missing, the others are not");
	check(!xs_snap_page(&s, base + PAGE, era), "a page not planned is not there");

	mem[0] = 'z'; /* a thread ran and wrote: the target's era moves on */
	xs_target_new_era(&t);
	check(!xs_snap_page(&s, base, t.era), "another era: nothing handed out");
	xs_snap_take(&s, &t);
	p0 = xs_snap_page(&s, base, t.era);
	check(p0 && p0[0] == 'z', "taken again: the new bytes");

	{
		uint64_t many[XS_SNAP_PAGES + 1];
		struct xs_pages big = { many, XS_SNAP_PAGES + 1, XS_SNAP_PAGES + 1 };

		for (size_t k = 0; k < XS_SNAP_PAGES + 1; k++)
			many[k] = base + k * PAGE;
		check(xs_snap_plan(&s, &big) == 0 && s.n == 0,
		      "plan: %d pages is too many, none kept", XS_SNAP_PAGES + 1);
		xs_snap_take(&s, &t);
		check(!xs_snap_page(&s, base, t.era), "nothing planned: nothing taken");
	}
	xs_snap_free(&s);
	munmap(mem, 3 * PAGE);
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
