/* SPDX-License-Identifier: MIT */
/* Shared by the CLI's files: argument helpers and the commands that live apart. */
#ifndef XS_CLI_H
#define XS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int cli_parse_pid(const char *arg, pid_t *pid);
/* Value of --name in argv (removing both words), or NULL. */
const char *cli_take_option(int *argc, char **argv, const char *name);
bool cli_take_flag(int *argc, char **argv, const char *name);

/* The directory holding xsplice/payload.h: $XSPLICE_INCLUDE, include/
 * beside the tree the CLI was built in, else /usr/include. */
void cli_include_dir(char *buf, size_t len);
struct xs_func_view;
/* "funcs":[...], one object per function (funcs_json.c). */
void cli_funcs_json(const struct xs_func_view *v, size_t n);

int cmd_build(int argc, char **argv);
int cmd_cc(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_build_id(int argc, char **argv);

#endif
