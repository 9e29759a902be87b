/* SPDX-License-Identifier: MIT */
/*
 * The walked thread's stack, for libdwfl's memory_read and for the frame
 * rules: from its stack top read with the registers, else page by page
 * through the door (xs_target_peek), each page cached for the walk (the
 * target does not change while it is stopped).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "target/target.h"
#include "unwind/unwind_int.h"

static struct page_cache *cache_page(struct xs_unwinder *u, uint64_t page)
{
	struct page_cache *p;

	for (unsigned k = 0; k < CACHE_PAGES; k++)
		if (u->cache[k].addr == page)
			return &u->cache[k];
	if (page > (uint64_t)INT64_MAX - CACHE_PAGE)
		return NULL;
	p = &u->cache[u->cache_next];
	u->cache_next = (u->cache_next + 1) % CACHE_PAGES;
	p->addr = UINT64_MAX;
	u->page_reads++;
	if (xs_target_peek(u->t, page, p->data, CACHE_PAGE))
		return NULL;
	p->addr = page;
	return p;
}

static int read_cached(struct xs_unwinder *u, uint64_t addr, void *buf, size_t len)
{
	const struct xs_stack_top *top = u->top;
	unsigned char *out = buf;

	if (top && addr >= top->addr && addr - top->addr <= top->len &&
	    len <= top->len - (addr - top->addr)) {
		memcpy(buf, top->data + (addr - top->addr), len);
		return 0;
	}

	while (len) {
		uint64_t page = addr & ~(uint64_t)(CACHE_PAGE - 1);
		size_t off = addr - page, take = CACHE_PAGE - off < len ? CACHE_PAGE - off : len;
		struct page_cache *p = cache_page(u, page);

		if (!p)
			return -EIO;
		memcpy(out, p->data + off, take);
		out += take;
		addr += take;
		len -= take;
	}
	return 0;
}

bool xs_unwind_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct xs_unwinder *u = arg;
	uint64_t v;

	(void)dwfl;
	if (read_cached(u, addr, &v, sizeof(v))) {
		/* libdwfl would take an unreadable return address for the end of
		 * the stack; remember it so the walk fails instead. */
		if (!u->read_failed)
			xs_unwind_why(u, "cannot read the stack at 0x%" PRIx64, (uint64_t)addr);
		u->read_failed = true;
		return false;
	}
	*result = v;
	return true;
}

bool xs_unwind_read_word(void *arg, uint64_t addr, uint64_t *val)
{
	return read_cached(arg, addr, val, sizeof(*val)) == 0;
}
