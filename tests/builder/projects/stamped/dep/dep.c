/* SPDX-License-Identifier: MIT */
/* stamped: a dependency built once, its step marked done by a stamp file. */
int base(void)
{
	return 10;
}
