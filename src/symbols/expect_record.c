/* SPDX-License-Identifier: MIT */
/*
 * `xsplice cc`: write into a payload's .xsplice.funcs entries the bytes the
 * target file has at each function they patch (its expect blocks), so that
 * check and apply refuse a process whose code there is anything else. An
 * entry whose author gave an expect block keeps it.
 */
#include "symbols/expect_record.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "common/error.h"
#include "payload/expect.h"
#include "symbols/objects.h"
#include "payload/payload.h"

static int record_one(const struct xs_payload *p, struct xs_object *obj, size_t i, int fd)
{
	const struct xs_func_desc *f = &p->funcs[i];
	uint64_t addr = f->old_addr, size = f->old_size;
	unsigned char code[XS_EXPECT_READ];
	struct xsplice_expect e;
	char why[512];
	off_t at;
	int rc;

	if (f->expect.enabled)
		return 0; /* the author's */
	if (!addr) {
		struct xs_symbol_info si;

		if (xs_object_lookup(obj, f->name, &si) || si.type != STT_FUNC) {
			xs_error_clear(); /* upload refuses it by name, as it would anyway */
			return 0;
		}
		addr = si.addr;
		size = size ? size : si.size;
	}
	if (!size)
		return 0; /* no size, no bytes: upload and check refuse it */
	rc = xs_file_code(obj->open_path, addr, code, size < sizeof(code) ? size : sizeof(code));
	if (rc) {
		snprintf(why, sizeof(why), "%s", xs_error_message());
		return xs_fail_override(rc, "%s: function %s: cannot read its code: %s", p->name,
		                        f->name, why);
	}
	xs_expect_make(code, size, &e);
	at = (off_t)(p->sections[p->funcs_shndx].shdr.sh_offset + i * sizeof(struct xsplice_func) +
	             offsetof(struct xsplice_func, expect));
	if (e.enabled && pwrite(fd, &e, sizeof(e), at) != (ssize_t)sizeof(e))
		return xs_fail(-EIO, "%s: function %s: cannot write its expected bytes", p->name,
		               f->name);
	return 0;
}

int xs_expect_record(const char *payload, const char *target)
{
	struct xs_payload *p = NULL;
	struct xs_object *obj = NULL;
	int fd = -1, rc = xs_payload_open(payload, &p);

	if (!rc)
		rc = xs_object_open_file(target, &obj);
	if (!rc && (fd = open(payload, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		rc = xs_fail(-errno, "%s: cannot open it to write its expected bytes", payload);
	for (size_t i = 0; !rc && i < p->nfuncs; i++)
		rc = record_one(p, obj, i, fd);
	if (fd >= 0 && close(fd) && !rc)
		rc = xs_fail(-errno, "%s: cannot write its expected bytes", payload);
	xs_object_free(obj);
	xs_payload_free(p);
	return rc;
}
