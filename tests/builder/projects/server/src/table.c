/* SPDX-License-Identifier: MIT */
/* server: level names (a switch the compiler turns into a table) and a
 * small key table. */
#include <string.h>

#include "table.h"

static const struct {
	const char *key;
	int value;
} entries[] = {
	{ "alpha", 1 }, { "beta", 2 }, { "gamma", 3 },
};

const char *level_name(int level)
{
	switch (level) {
	case 0: return "debug";
	case 1: return "info";
	case 2: return "notice";
	case 3: return "warning";
	case 4: return "error";
	case 5: return "critical";
	case 6: return "alert";
	default: return "?";
	}
}

int table_lookup(const char *key)
{
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (!strcmp(entries[i].key, key))
			return entries[i].value;
	return -1;
}
