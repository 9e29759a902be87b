/* SPDX-License-Identifier: MIT */
/*
 * Addresses to "function+offset (file:line)": the function from the object's
 * .symtab (else .dynsym), the line from its DWARF (own, else the debug file
 * by build-id). Each object's DWARF is opened once, for a bounded number.
 */
#include "symbols/symbolize.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/debuginfo.h"
#include "common/error.h"
#include "common/json.h"
#include "symbols/objects.h"

#define MAX_DWARF_OBJECTS 16 /* objects whose DWARF is opened, at most */
#define MAX_UNITS 100000     /* units looked through for one without .debug_aranges */

struct dwarf_of {
	const struct xs_object *obj;
	struct xs_debuginfo d; /* d.dw NULL: none */
};

struct xs_symbolizer {
	struct xs_objects *objs;
	struct dwarf_of dw[MAX_DWARF_OBJECTS];
	size_t ndw;
};

int xs_symbolizer_new(pid_t pid, struct xs_symbolizer **out)
{
	struct xs_symbolizer *z = calloc(1, sizeof(*z));
	int rc;

	if (!z)
		return xs_fail(-ENOMEM, "pid %d: no memory to name addresses", pid);
	rc = xs_objects_scan(pid, &z->objs);
	if (rc) {
		free(z);
		return rc;
	}
	*out = z;
	return 0;
}

void xs_symbolizer_free(struct xs_symbolizer *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->ndw; i++)
		xs_debuginfo_close(&z->dw[i].d);
	xs_objects_free(z->objs);
	free(z);
}

static Dwarf *dwarf_of(struct xs_symbolizer *z, struct xs_object *obj)
{
	for (size_t i = 0; i < z->ndw; i++)
		if (z->dw[i].obj == obj)
			return z->dw[i].d.dw;
	if (z->ndw == MAX_DWARF_OBJECTS)
		return NULL;
	z->dw[z->ndw].obj = obj;
	if (xs_debuginfo_open(obj, &z->dw[z->ndw].d)) {
		xs_error_clear(); /* no line then, and no message: it is only a help */
		xs_debuginfo_close(&z->dw[z->ndw].d);
	}
	return z->dw[z->ndw++].d.dw;
}

/* The unit holding link-time address a: .debug_aranges, else each unit's ranges. */
static bool unit_at(Dwarf *dw, Dwarf_Addr a, Dwarf_Die *cu)
{
	Dwarf_CU *c = NULL;
	Dwarf_Die sub;
	uint8_t type;

	if (dwarf_addrdie(dw, a, cu))
		return true;
	for (size_t n = 0; n < MAX_UNITS && !dwarf_get_units(dw, c, &c, NULL, &type, cu, &sub); n++)
		if ((type == DW_UT_compile || type == DW_UT_skeleton) && dwarf_haspc(cu, a) == 1)
			return true;
	return false;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void xs_symbolize(struct xs_symbolizer *z, uint64_t pc, bool ret, char *buf, size_t len)
{
	struct xs_object *obj = z ? xs_objects_by_addr(z->objs, pc) : NULL;
	char func[256] = "", where[512];
	const char *name = NULL;
	uint64_t start = 0;
	Dwarf *dw;
	Dwarf_Die cu;

	if (!obj) {
		snprintf(buf, len, "0x%llx", (unsigned long long)pc);
		return;
	}
	if (xs_object_func_at(obj, pc, &name, &start))
		xs_error_clear();
	if (name)
		xs_text_safe_buf(func, sizeof(func), name, SIZE_MAX);
	xs_text_safe_buf(where, sizeof(where), base_name(obj->path), SIZE_MAX);
	dw = dwarf_of(z, obj);
	if (dw && pc - ret >= obj->bias && unit_at(dw, pc - ret - obj->bias, &cu)) {
		char *file = NULL;
		unsigned line = 0;

		xs_die_pc_line(&cu, pc - ret - obj->bias, &file, &line);
		if (file && line) {
			char safe[400];

			xs_text_safe_buf(safe, sizeof(safe), file, SIZE_MAX);
			snprintf(where, sizeof(where), "%s:%u", safe, line);
		}
		free(file);
	}
	if (name)
		snprintf(buf, len, "%s+0x%llx (%s)", func, (unsigned long long)(pc - start), where);
	else
		snprintf(buf, len, "0x%llx (%s)", (unsigned long long)pc, where);
}
