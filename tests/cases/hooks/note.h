/* SPDX-License-Identifier: MIT */
/* hooks payloads: append "name:compute(7)," to the target's hook_log, so the
 * log shows each hook and whether the new code was in place when it ran. */
extern char hook_log[1024];
extern int compute(int);

static void note(const char *name)
{
	char num[16];
	int n = 0, i = 0, v = compute(7);

	while (hook_log[n])
		n++;
	while (*name && n < 1000)
		hook_log[n++] = *name++;
	hook_log[n++] = ':';
	if (v < 0) {
		hook_log[n++] = '-';
		v = -v;
	}
	do
		num[i++] = '0' + v % 10;
	while ((v /= 10) && i < 15);
	while (i)
		hook_log[n++] = num[--i];
	hook_log[n++] = ',';
	hook_log[n] = 0;
}
