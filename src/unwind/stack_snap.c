/* SPDX-License-Identifier: MIT */
#include "unwind/stack_snap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "target/target.h"
#include "target/warm_pages.h"

int xs_snap_plan(struct xs_stack_snap *s, const struct xs_pages *stacks)
{
	xs_snap_free(s);
	if (!stacks->n || stacks->n > XS_SNAP_PAGES)
		return 0;
	s->data = xs_alloc_ours(stacks->n * XS_SNAP_PAGE);
	if (!s->data)
		return -ENOMEM;
	memcpy(s->addr, stacks->addr, stacks->n * sizeof(s->addr[0]));
	s->n = stacks->n;
	for (size_t i = 1; i < s->n; i++) /* insertion sort: a handful */
		for (size_t k = i; k > 0 && s->addr[k - 1] > s->addr[k]; k--) {
			uint64_t tmp = s->addr[k];

			s->addr[k] = s->addr[k - 1];
			s->addr[k - 1] = tmp;
		}
	return 0;
}

void xs_snap_take(struct xs_stack_snap *s, struct xs_target *t)
{
	struct iovec local[XS_SNAP_PAGES], remote[XS_SNAP_PAGES];
	bool ok[XS_SNAP_PAGES];

	s->era = 0;
	s->read = 0;
	if (!s->n)
		return;
	for (size_t k = 0; k < s->n; k++) {
		local[k] = (struct iovec){ s->data + k * XS_SNAP_PAGE, XS_SNAP_PAGE };
		remote[k] = (struct iovec){ (void *)(uintptr_t)s->addr[k], XS_SNAP_PAGE };
	}
	if (xs_proc_readv(t->pid, local, remote, s->n, ok) <= 0)
		return;
	for (size_t k = 0; k < s->n; k++)
		s->read |= (uint64_t)ok[k] << k;
	s->era = t->era;
}

const unsigned char *xs_snap_page(const struct xs_stack_snap *s, uint64_t addr, unsigned long era)
{
	if (!s->era || s->era != era)
		return NULL;
	for (size_t k = 0; k < s->n; k++)
		if (s->addr[k] == addr)
			return s->read >> k & 1 ? s->data + k * XS_SNAP_PAGE : NULL;
	return NULL;
}

void xs_snap_free(struct xs_stack_snap *s)
{
	free(s->data);
	memset(s, 0, sizeof(*s));
}
