/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the x86-64 arch hooks: jump and NOP encodings (decoded here
 * and executed), endbr64, every relocation type, call/syscall setup, and the
 * signal frames injected code returns through.
 */
#include "check.h"
#include "arch.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- executable scratch memory ----------------------------------------------------- */
#define CODE_SIZE 8192
static unsigned char *code;

static bool code_writable(bool w)
{
	return !mprotect(code, CODE_SIZE, w ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC);
}

/*
 * Run the code at code+off as int f(void) in a child, so a bad encoding
 * fails a check instead of killing the test; alarm() bounds the wait.
 * Returns f's result (0..255), or -signal, or -1000 when fork fails.
 */
static int run_at(size_t off)
{
	int (*fn)(void);
	void *p = code + off;
	int status;
	pid_t pid;

	memcpy(&fn, &p, sizeof(fn));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1000;
	if (pid == 0) {
		alarm(5);
		_exit(fn() & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1000;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* mov eax, imm32; ret */
static void put_ret_imm(unsigned char *p, uint32_t imm)
{
	p[0] = 0xb8;
	memcpy(p + 1, &imm, 4);
	p[5] = 0xc3;
}

/* --- jumps ------------------------------------------------------------------------ */
static void test_jump_bytes(void)
{
	unsigned char insn[5];
	static const unsigned char fwd[5] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 };
	static const unsigned char back[5] = { 0xe9, 0xfb, 0xef, 0xff, 0xff };
	static const unsigned char sentinel[5] = { 1, 2, 3, 4, 5 };
	const uint64_t from = 0x7f0000001000ull;
	int rc;

	rc = xs_arch_encode_jump(0x400000, 0x401000, insn);
	check(rc == 0 && !memcmp(insn, fwd, 5),
	      "jump forward 0x400000->0x401000 is e9 fb 0f 00 00");
	rc = xs_arch_encode_jump(0x401000, 0x400000, insn);
	check(rc == 0 && !memcmp(insn, back, 5),
	      "jump backward 0x401000->0x400000 is e9 fb ef ff ff");
	rc = xs_arch_encode_jump(from, from, insn);
	check(rc == 0 && insn[0] == 0xe9 && insn[1] == 0xfb && insn[4] == 0xff,
	      "jump to itself is rel -5");

	rc = xs_arch_encode_jump(from, from + 5 + INT32_MAX, insn);
	check(rc == 0 && insn[0] == 0xe9 && insn[1] == 0xff && insn[2] == 0xff && insn[3] == 0xff &&
	          insn[4] == 0x7f,
	      "jump at +2GiB limit (rel 0x7fffffff) encodes");
	memcpy(insn, sentinel, 5);
	rc = xs_arch_encode_jump(from, from + 5 + INT32_MAX + 1ull, insn);
	check(rc == -ERANGE && !memcmp(insn, sentinel, 5),
	      "jump one past +2GiB is -ERANGE, bytes untouched (rc %d)", rc);
	rc = xs_arch_encode_jump(from, from + 5 - 0x80000000ull, insn);
	check(rc == 0 && insn[1] == 0 && insn[2] == 0 && insn[3] == 0 && insn[4] == 0x80,
	      "jump at -2GiB limit (rel -0x80000000) encodes");
	rc = xs_arch_encode_jump(from, from + 5 - 0x80000001ull, insn);
	check(rc == -ERANGE, "jump one past -2GiB is -ERANGE (rc %d)", rc);
	rc = xs_arch_encode_jump(0x1000, 0xffff800000000000ull, insn);
	check(rc == -ERANGE, "jump across the address space is -ERANGE (rc %d)", rc);

	uint64_t range = xs_arch_jump_range();
	check(range >= 0x7f000000ull && range <= 0x80000000ull - 5,
	      "jump range 0x%" PRIx64 " is about 2GiB and encodable", range);
	check(!xs_arch_encode_jump(from, from + range, insn) &&
	          !xs_arch_encode_jump(from, from - range, insn),
	      "jumps of exactly +-jump_range encode");
}

/* Write jumps into executable memory and run them both ways. */
static void test_jump_exec(void)
{
	int rc1, rc2;

	if (!code_writable(true)) {
		check(false, "mprotect scratch code writable");
		return;
	}
	memset(code, 0xcc, CODE_SIZE);
	rc1 = xs_arch_encode_jump((uintptr_t)code, (uintptr_t)code + 0x1800, code);
	put_ret_imm(code + 0x1800, 42);
	rc2 = xs_arch_encode_jump((uintptr_t)code + 0x1000, (uintptr_t)code + 0x10, code + 0x1000);
	put_ret_imm(code + 0x10, 7);
	if (rc1 || rc2 || !code_writable(false)) {
		check(false, "prepare jump code (rc %d %d)", rc1, rc2);
		return;
	}
	rc1 = run_at(0);
	check(rc1 == 42, "executed forward jump lands on its target (got %d)", rc1);
	rc2 = run_at(0x1000);
	check(rc2 == 7, "executed backward jump lands on its target (got %d)", rc2);
}

/* --- nops ------------------------------------------------------------------------- */
/*
 * Independent length decoder for the NOP forms: [66] 90, or [66] 0f 1f /0
 * with its ModRM/SIB/displacement. Returns the length, 0 if not a NOP.
 */
static size_t decode_nop(const unsigned char *p, size_t avail)
{
	size_t n = 0, need;
	unsigned mod, rm;

	if (n < avail && p[n] == 0x66)
		n++;
	if (n < avail && p[n] == 0x90)
		return n + 1;
	if (n + 3 > avail || p[n] != 0x0f || p[n + 1] != 0x1f)
		return 0;
	n += 2;
	mod = p[n] >> 6;
	rm = p[n] & 7;
	if ((p[n] >> 3) & 7) /* reg field must be 0 for NOP Ev */
		return 0;
	n++;
	need = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (mod != 3 && rm == 4) {
		if ((p[n] & 7) == 5 && mod == 0)
			need = 4;
		n++;
	} else if (mod == 0 && rm == 5) {
		need = 4; /* rip-relative */
	}
	n += need;
	return n <= avail ? n : 0;
}

/* The SDM's table, as hex text so it is written independently of arch.c. */
static const char *const sdm_nops[9] = {
	"90",           "6690",           "0f1f00",           "0f1f4000",           "0f1f440000",
	"660f1f440000", "0f1f8000000000", "0f1f840000000000", "660f1f840000000000",
};

static bool bytes_are_hex(const unsigned char *p, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || p[i] != v)
			return false;
	}
	return true;
}

static void test_nops_one(size_t len)
{
	unsigned char buf[64];
	size_t off = 0, insns = 0;
	bool patterns = true;

	memset(buf, 0xaa, sizeof(buf));
	xs_arch_encode_nops(buf, len);
	while (off < len) {
		size_t n = decode_nop(buf + off, len - off);

		if (!n)
			break;
		if (!bytes_are_hex(buf + off, sdm_nops[n - 1]))
			patterns = false;
		off += n;
		insns++;
	}
	check(off == len && buf[len] == 0xaa && patterns && insns == (len + 8) / 9,
	      "nops len %zu: decodes to %zu SDM NOPs covering %zu bytes, byte after untouched", len,
	      insns, off);
}

/* NOPs followed by mov eax, len; ret: a misdecode would not return len. */
static void test_nops_exec(void)
{
	size_t len;
	int got = 0;

	for (len = 1; len <= 40; len++) {
		if (!code_writable(true)) {
			check(false, "mprotect scratch code writable");
			return;
		}
		memset(code, 0xcc, 128);
		xs_arch_encode_nops(code, len);
		put_ret_imm(code + len, (uint32_t)len);
		if (!code_writable(false)) {
			check(false, "mprotect scratch code executable");
			return;
		}
		got = run_at(0);
		if (got != (int)len)
			break;
	}
	check(
	    len > 40,
	    "executed nops of lengths 1..40 fall through to the next instruction (len %zu got %d)",
	    len > 40 ? (size_t)40 : len, got);
}

static void test_nops(void)
{
	unsigned char b = 0x55;

	for (size_t len = 1; len <= 40; len++)
		test_nops_one(len);
	xs_arch_encode_nops(&b, 0);
	check(b == 0x55, "nops len 0 writes nothing");
	test_nops_exec();
}

/* --- endbr64, constants, accessors ----------------------------------------------------- */
static void test_misc(void)
{
	static const unsigned char endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	static const unsigned char endbr32[] = { 0xf3, 0x0f, 0x1e, 0xfb, 0x55 };
	static const unsigned char push[] = { 0x55, 0x48, 0x89, 0xe5 };

	check(xs_arch_elf_machine() == EM_X86_64, "elf machine is EM_X86_64");
	check(xs_arch_patch_offset(endbr, sizeof(endbr)) == 4, "endbr64 entry: patch offset 4");
	check(xs_arch_patch_offset(endbr, 4) == 4, "endbr64 entry, exactly 4 bytes: offset 4");
	check(xs_arch_patch_offset(endbr, 3) == 0, "truncated endbr64 (3 bytes): offset 0");
	check(xs_arch_patch_offset(endbr32, sizeof(endbr32)) == 0, "endbr32 entry: offset 0");
	check(xs_arch_patch_offset(push, sizeof(push)) == 0, "push %%rbp entry: offset 0");
	check(xs_arch_trap_insn[0] == 0xcc, "trap insn is int3 (cc)");
	check(xs_arch_syscall_insn[0] == 0x0f && xs_arch_syscall_insn[1] == 0x05,
	      "syscall insn is 0f 05");
	check(xs_arch_pc_after_trap(0x401000) == 0x401001, "pc after trap at 0x401000 is 0x401001");
}

/* --- relocations ------------------------------------------------------------------ */
/* Facts per type, written out by hand rather than derived from reloc.c. */
static const struct {
	uint32_t type;
	const char *name;
	int width; /* -EOPNOTSUPP when unsupported */
	bool got;
} reloc_facts[] = {
	{ R_X86_64_NONE, "R_X86_64_NONE", 0, false },
	{ R_X86_64_64, "R_X86_64_64", 8, false },
	{ R_X86_64_PC32, "R_X86_64_PC32", 4, false },
	{ R_X86_64_PLT32, "R_X86_64_PLT32", 4, false },
	{ R_X86_64_32, "R_X86_64_32", 4, false },
	{ R_X86_64_32S, "R_X86_64_32S", 4, false },
	{ R_X86_64_PC64, "R_X86_64_PC64", 8, false },
	{ R_X86_64_GOTPCREL, "R_X86_64_GOTPCREL", 4, true },
	{ R_X86_64_GOTPCRELX, "R_X86_64_GOTPCRELX", 4, true },
	{ R_X86_64_REX_GOTPCRELX, "R_X86_64_REX_GOTPCRELX", 4, true },
	{ R_X86_64_GOTPCREL64, "R_X86_64_GOTPCREL64", 8, true },
	{ R_X86_64_GOT64, "R_X86_64_GOT64", 8, true },
	{ R_X86_64_GOTOFF64, "R_X86_64_GOTOFF64", 8, false },
	{ R_X86_64_GOTPC32, "R_X86_64_GOTPC32", 4, false },
	{ R_X86_64_GOTPC64, "R_X86_64_GOTPC64", 8, false },
	{ R_X86_64_GOT32, "R_X86_64_GOT32", -EOPNOTSUPP, false },
	{ R_X86_64_COPY, "R_X86_64_COPY", -EOPNOTSUPP, false },
	{ R_X86_64_GLOB_DAT, "R_X86_64_GLOB_DAT", -EOPNOTSUPP, false },
	{ R_X86_64_RELATIVE, "R_X86_64_RELATIVE", -EOPNOTSUPP, false },
	{ R_X86_64_16, "R_X86_64_16", -EOPNOTSUPP, false },
	{ R_X86_64_PC8, "R_X86_64_PC8", -EOPNOTSUPP, false },
	{ R_X86_64_TLSGD, "R_X86_64_TLSGD", -EOPNOTSUPP, false },
	{ R_X86_64_GOTTPOFF, "R_X86_64_GOTTPOFF", -EOPNOTSUPP, false },
	{ R_X86_64_TPOFF32, "R_X86_64_TPOFF32", -EOPNOTSUPP, false },
	{ R_X86_64_SIZE64, "R_X86_64_SIZE64", -EOPNOTSUPP, false },
	{ R_X86_64_GOTPC32_TLSDESC, "R_X86_64_GOTPC32_TLSDESC", -EOPNOTSUPP, false },
	{ R_X86_64_IRELATIVE, "R_X86_64_IRELATIVE", -EOPNOTSUPP, false },
	{ 39, NULL, -EOPNOTSUPP, false }, /* reserved (was PC32_BND) */
	{ 43, NULL, -EOPNOTSUPP, false }, /* past glibc's R_X86_64_NUM */
	{ 1000, NULL, -EOPNOTSUPP, false },
	{ UINT32_MAX, NULL, -EOPNOTSUPP, false },
};

/* What the builder reads of each type: the sets its comparisons used to
 * spell out as R_X86_64_* lists. */
static const struct {
	uint32_t type;
	unsigned width, kind;
	bool pc, sext;
	unsigned bias, relax;
} builder_facts[] = {
	{ R_X86_64_64, 8, XS_ARCH_RELOC_DATA, false, false, 0, 0 },
	{ R_X86_64_PC32, 4, XS_ARCH_RELOC_DATA, true, false, 4, 0 },
	{ R_X86_64_PLT32, 4, XS_ARCH_RELOC_BRANCH, true, false, 4, 0 },
	{ R_X86_64_32, 4, XS_ARCH_RELOC_DATA, false, false, 0, 0 },
	{ R_X86_64_32S, 4, XS_ARCH_RELOC_DATA, false, true, 0, 0 },
	{ R_X86_64_PC64, 8, XS_ARCH_RELOC_DATA, true, false, 0, 0 },
	{ R_X86_64_GOTPCREL, 4, XS_ARCH_RELOC_GOT, true, false, 4, 0 },
	{ R_X86_64_GOTPCRELX, 4, XS_ARCH_RELOC_GOT, true, false, 4, 2 },
	{ R_X86_64_REX_GOTPCRELX, 4, XS_ARCH_RELOC_GOT, true, false, 4, 3 },
	{ R_X86_64_GOTPC32, 4, XS_ARCH_RELOC_OTHER, true, false, 0, 0 },
	{ R_X86_64_GOTOFF64, 8, XS_ARCH_RELOC_OTHER, false, false, 0, 0 },
	{ R_X86_64_TLSGD, 4, XS_ARCH_RELOC_OTHER, true, false, 0, 0 },
	{ R_X86_64_DTPOFF64, 8, XS_ARCH_RELOC_OTHER, false, false, 0, 0 },
	{ R_X86_64_16, 2, XS_ARCH_RELOC_OTHER, false, false, 0, 0 },
	{ R_X86_64_PC8, 1, XS_ARCH_RELOC_OTHER, true, false, 0, 0 },
	{ 1000, 0, XS_ARCH_RELOC_OTHER, false, false, 0, 0 },
};

static void test_reloc_info(void)
{
	for (size_t i = 0; i < sizeof(builder_facts) / sizeof(builder_facts[0]); i++) {
		const struct xs_arch_reloc_info *ri = xs_arch_reloc_info(builder_facts[i].type);

		check(ri && ri->name == xs_arch_reloc_name(builder_facts[i].type) &&
		          ri->width == builder_facts[i].width &&
		          ri->kind == builder_facts[i].kind &&
		          ri->pc_relative == builder_facts[i].pc &&
		          ri->sign_extended == builder_facts[i].sext &&
		          ri->pc_bias == builder_facts[i].bias &&
		          ri->relax_before == builder_facts[i].relax,
		      "reloc info %s: width %u kind %u pc %d sext %d bias %u relax %u",
		      ri ? ri->name : "(null)", ri ? ri->width : 0, ri ? ri->kind : 0,
		      ri && ri->pc_relative, ri && ri->sign_extended, ri ? ri->pc_bias : 0,
		      ri ? ri->relax_before : 0);
	}
	/* mov 0x10(%rip) at 0x1000: 7 bytes, its field at +3, -0x10 from the end */
	static const unsigned char neg[4] = { 0xf0, 0xff, 0xff, 0xff };
	int64_t bias = xs_arch_insn_pc_bias(7, 3);

	check(bias == 4, "the field at +3 of a 7-byte instruction counts from 4 bytes on (%lld)",
	      (long long)bias);
	check(xs_arch_reloc_read(R_X86_64_PC32, neg, 0x1003, bias) == 0x1007 - 0x10,
	      "PC32 -0x10 read back from 0x1003: 0xff7");
	check(xs_arch_reloc_read(R_X86_64_32, neg, 0x1003, bias) == 0xfffffff0ull,
	      "R_X86_64_32 zero-extends");
	check(xs_arch_reloc_read(R_X86_64_32S, neg, 0x1003, bias) == (uint64_t)-16,
	      "R_X86_64_32S sign-extends");
}

static void test_reloc_facts(void)
{
	const char *unknown = xs_arch_reloc_name(1000);

	for (size_t i = 0; i < sizeof(reloc_facts) / sizeof(reloc_facts[0]); i++) {
		uint32_t t = reloc_facts[i].type;
		const char *name = xs_arch_reloc_name(t);
		const char *want = reloc_facts[i].name ? reloc_facts[i].name : unknown;

		check(name && !strcmp(name, want) &&
		          xs_arch_reloc_width(t) == reloc_facts[i].width &&
		          xs_arch_reloc_needs_got(t) == reloc_facts[i].got,
		      "reloc type %" PRIu32 ": name %s, width %d, needs_got %d", t,
		      name ? name : "(null)", xs_arch_reloc_width(t), xs_arch_reloc_needs_got(t));
	}
	check(unknown && !strncmp(unknown, "R_X86_64_", 9) &&
	          unknown == xs_arch_reloc_name(UINT32_MAX),
	      "unknown types share one constant name \"%s\"", unknown ? unknown : "(null)");
	check(xs_arch_reloc_is_abs_pointer(R_X86_64_64) &&
	          !xs_arch_reloc_is_abs_pointer(R_X86_64_PC64) &&
	          !xs_arch_reloc_is_abs_pointer(R_X86_64_32) &&
	          !xs_arch_reloc_is_abs_pointer(R_X86_64_NONE),
	      "only R_X86_64_64 is the absolute pointer relocation");
}

#define PP 0x7f0000100000ull /* P in most cases */
#define GOTB 0x7f0000300000ull

static const struct {
	uint32_t type;
	uint64_t P, S;
	int64_t A;
	uint64_t G, GOT;
	int rc;
	uint64_t val; /* expected field value, truncated to the width */
	const char *what;
} reloc_cases[] = {
	{ R_X86_64_NONE, PP, 0x1234, 0, 0, 0, 0, 0, "NONE writes nothing" },
	{ R_X86_64_64, PP, 0x7f1234567890ull, 0x10, 0, 0, 0, 0x7f12345678a0ull, "64 S+A" },
	{ R_X86_64_64, PP, 0x1000, -0x2000, 0, 0, 0, 0xfffffffffffff000ull,
	  "64 wraps, never overflows" },
	{ R_X86_64_PC32, PP, PP + 0x1000, -4, 0, 0, 0, 0xffc, "PC32 forward" },
	{ R_X86_64_PC32, PP, PP - 0x1000, -4, 0, 0, 0, 0xffffeffc, "PC32 backward" },
	{ R_X86_64_PC32, PP, PP + 0x7fffffff, 0, 0, 0, 0, 0x7fffffff, "PC32 at INT32_MAX" },
	{ R_X86_64_PC32, PP, PP + 0x80000000ull, 0, 0, 0, -ERANGE, 0, "PC32 at INT32_MAX+1" },
	{ R_X86_64_PC32, PP, PP - 0x80000000ull, 0, 0, 0, 0, 0x80000000, "PC32 at INT32_MIN" },
	{ R_X86_64_PC32, PP, PP - 0x80000000ull, -1, 0, 0, -ERANGE, 0,
	  "PC32 at INT32_MIN-1 (via addend)" },
	{ R_X86_64_PC32, PP, 0x401000, -4, 0, 0, -ERANGE, 0, "PC32 to a far symbol" },
	{ R_X86_64_PLT32, PP, PP + 0x2000, -4, 0, 0, 0, 0x1ffc, "PLT32 is a direct PC32" },
	{ R_X86_64_PLT32, PP, PP + 0x80000004ull, -4, 0, 0, -ERANGE, 0, "PLT32 overflow" },
	{ R_X86_64_PLT32, PP, PP - 0x80000000ull, 0, 0, 0, 0, 0x80000000, "PLT32 at INT32_MIN" },
	{ R_X86_64_32, PP, 0x401000, 8, 0, 0, 0, 0x401008, "32 S+A" },
	{ R_X86_64_32, PP, 0xfffffff0ull, 0xf, 0, 0, 0, 0xffffffff, "32 at UINT32_MAX" },
	{ R_X86_64_32, PP, 0xfffffff0ull, 0x10, 0, 0, -ERANGE, 0, "32 at UINT32_MAX+1" },
	{ R_X86_64_32, PP, 0x10, -0x20, 0, 0, -ERANGE, 0, "32 negative does not zero-extend" },
	{ R_X86_64_32S, PP, 0x401000, -8, 0, 0, 0, 0x400ff8, "32S S+A" },
	{ R_X86_64_32S, PP, 0xffffffff80000000ull, 0, 0, 0, 0, 0x80000000, "32S at INT32_MIN" },
	{ R_X86_64_32S, PP, 0x7fffffff, 0, 0, 0, 0, 0x7fffffff, "32S at INT32_MAX" },
	{ R_X86_64_32S, PP, 0x80000000ull, 0, 0, 0, -ERANGE, 0, "32S at INT32_MAX+1" },
	{ R_X86_64_32S, PP, 0xffffffff7fffffffull, 0, 0, 0, -ERANGE, 0, "32S at INT32_MIN-1" },
	{ R_X86_64_32S, PP, PP, 0, 0, 0, -ERANGE, 0, "32S with a high address" },
	{ R_X86_64_PC64, 0x1000, 0x7fff00000000ull, -4, 0, 0, 0, 0x7ffeffffeffcull,
	  "PC64 forward" },
	{ R_X86_64_PC64, 0x7fff00000000ull, 0x1000, 0, 0, 0, 0, 0xffff800100001000ull,
	  "PC64 backward" },
	{ R_X86_64_GOTPCREL, PP, 0x401000, -4, PP + 0x100, GOTB, 0, 0xfc,
	  "GOTPCREL uses G, not S" },
	{ R_X86_64_GOTPCREL, PP, PP, -4, PP + 0x80000004ull, GOTB, -ERANGE, 0,
	  "GOTPCREL overflow" },
	{ R_X86_64_GOTPCRELX, PP, 0x401000, -4, PP - 0x100, GOTB, 0, 0xfffffefc,
	  "GOTPCRELX backward" },
	{ R_X86_64_GOTPCRELX, PP, PP, -4, PP - 0x7ffffffdull, GOTB, -ERANGE, 0,
	  "GOTPCRELX overflow" },
	{ R_X86_64_REX_GOTPCRELX, PP, 0x401000, -4, PP + 0x7fffffffull + 4, GOTB, 0, 0x7fffffff,
	  "REX_GOTPCRELX at INT32_MAX" },
	{ R_X86_64_REX_GOTPCRELX, PP, PP, -4, PP + 0x80000000ull + 4, GOTB, -ERANGE, 0,
	  "REX_GOTPCRELX overflow" },
	{ R_X86_64_GOTPCREL64, PP, 0x401000, -4, PP + 0x123456789ull, GOTB, 0, 0x123456785ull,
	  "GOTPCREL64" },
	{ R_X86_64_GOT64, PP, 0x401000, 0, GOTB + 0x18, GOTB, 0, 0x18,
	  "GOT64 is the slot's offset" },
	{ R_X86_64_GOT64, PP, 0x401000, 8, GOTB + 0x18, GOTB, 0, 0x20, "GOT64 plus addend" },
	{ R_X86_64_GOTOFF64, PP, GOTB - 0x100, 0x10, 0, GOTB, 0, 0xffffffffffffff10ull,
	  "GOTOFF64 S+A-GOT" },
	{ R_X86_64_GOTPC32, PP, 0x401000, 3, 0, PP + 0x2000, 0, 0x2003, "GOTPC32 GOT+A-P" },
	{ R_X86_64_GOTPC32, PP, 0x401000, 0, 0, PP + 0x80000000ull, -ERANGE, 0,
	  "GOTPC32 overflow" },
	{ R_X86_64_GOTPC64, PP, 0x401000, 0, 0, PP + 0x100000000ull, 0, 0x100000000ull,
	  "GOTPC64 GOT+A-P" },
	{ R_X86_64_TPOFF32, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "TPOFF32 unsupported" },
	{ R_X86_64_GOTTPOFF, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "GOTTPOFF unsupported" },
	{ R_X86_64_COPY, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "COPY unsupported" },
	{ R_X86_64_SIZE32, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "SIZE32 unsupported" },
	{ 39, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "reserved type 39 unsupported" },
	{ UINT32_MAX, PP, 0x10, 0, 0, 0, -EOPNOTSUPP, 0, "type UINT32_MAX unsupported" },
};

static void test_reloc_apply(void)
{
	for (size_t i = 0; i < sizeof(reloc_cases) / sizeof(reloc_cases[0]); i++) {
		unsigned char buf[16];
		int width = reloc_cases[i].rc ? 0 : xs_arch_reloc_width(reloc_cases[i].type);
		bool ok = width >= 0;
		int rc;

		memset(buf, 0xa5, sizeof(buf));
		/* Field at an odd offset: apply must not assume alignment. */
		rc = xs_arch_reloc_apply(reloc_cases[i].type, buf + 1, reloc_cases[i].P,
		                         reloc_cases[i].S, reloc_cases[i].A, reloc_cases[i].G,
		                         reloc_cases[i].GOT);
		for (int b = 0; b < (int)sizeof(buf) && ok; b++) {
			unsigned want = 0xa5;

			if (b >= 1 && b <= width)
				want = (unsigned)(reloc_cases[i].val >> (8 * (b - 1))) & 0xff;
			ok = buf[b] == want;
		}
		check(rc == reloc_cases[i].rc && ok, "reloc %s: %s (rc %d, want %d)",
		      xs_arch_reloc_name(reloc_cases[i].type), reloc_cases[i].what, rc,
		      reloc_cases[i].rc);
	}
}

/* --- registers ---------------------------------------------------------------------- */
static void fill_regs(xs_regs *r)
{
	for (size_t i = 0; i < sizeof(*r) / 8; i++) {
		uint64_t w = 0x1111111111111111ull * (i % 15 + 1);

		memcpy((char *)r + 8 * i, &w, 8);
	}
	r->eflags = 0x646; /* DF, IF, ZF, PF, reserved bit 1 */
}

/* Every register except the listed ones equals the original. */
static bool others_kept(const xs_regs *a, const xs_regs *b, const size_t *skip, size_t nskip)
{
	for (size_t off = 0; off < sizeof(*a); off += 8) {
		bool skipped = false;

		for (size_t k = 0; k < nskip; k++)
			skipped |= skip[k] == off;
		if (!skipped && memcmp((const char *)a + off, (const char *)b + off, 8))
			return false;
	}
	return true;
}

#define OFF(f) offsetof(xs_regs, f)

static void test_setup_call(void)
{
	static const size_t changed[] = { OFF(rdi), OFF(rsi),      OFF(rdx),   OFF(rcx),
		                          OFF(r8),  OFF(r9),       OFF(rsp),   OFF(rip),
		                          OFF(rax), OFF(orig_rax), OFF(eflags) };
	const uint64_t args[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct xs_arch_frame f = { .base = 0x7ffc00000f08ull };
	xs_regs r, old;
	int rc;

	fill_regs(&r);
	old = r;
	rc = xs_arch_setup_call(&r, 0x401230, args, 6, &f);
	check(
	    rc == 0 && r.rsp == f.base && r.rip == 0x401230 && r.rdi == 1 && r.rsi == 2 &&
	        r.rdx == 3 && r.rcx == 4 && r.r8 == 5 && r.r9 == 6 && r.rax == 0 &&
	        r.orig_rax == (uint64_t)-1 && r.eflags == 0x246 &&
	        others_kept(&r, &old, changed, sizeof(changed) / sizeof(changed[0])),
	    "setup_call: rsp at the frame's return slot, rip, args, rax=0, orig_rax=-1, DF clear, rest kept");
	fill_regs(&r);
	old = r;
	rc = xs_arch_setup_call(&r, 0x401230, args, 7, &f);
	check(rc == -E2BIG && !memcmp(&r, &old, sizeof(r)),
	      "setup_call with 7 args is -E2BIG, regs untouched");
	f.base += 8;
	rc = xs_arch_setup_call(&r, 0x401230, args, 2, &f);
	check(rc == -EINVAL && !memcmp(&r, &old, sizeof(r)),
	      "setup_call with a return slot not 8 off 16 is -EINVAL, regs untouched");
	f.base -= 8;
	rc = xs_arch_setup_call(&r, 0x401230, args, 2, &f);
	check(rc == 0 && r.rdi == 1 && r.rsi == 2 && r.rdx == old.rdx && r.rcx == old.rcx &&
	          r.r9 == old.r9,
	      "setup_call with 2 args leaves rdx, rcx, r9 alone");
	r.rdi = 0xfeedull;
	check(xs_arch_call_result(&r) == 0xfeed,
	      "call result is rdi, where the return stub puts rax");
}

static void test_syscall_regs(void)
{
	static const size_t changed[] = { OFF(rip), OFF(rsp), OFF(rax), OFF(orig_rax), OFF(rdi),
		                          OFF(rsi), OFF(rdx), OFF(r10), OFF(r8),       OFF(r9) };
	const uint64_t args[6] = { 11, 22, 33, 44, 55, 66 };
	struct xs_arch_frame f = { .base = 0x7ffc00000f08ull };
	xs_regs r, old;

	fill_regs(&r);
	r.orig_rax = 0;         /* as if stopped inside read() */
	r.rax = (uint64_t)-512; /* -ERESTARTSYS */
	old = r;
	xs_arch_setup_syscall(&r, 0x7f0000001234ull, 9, args, &f);
	check(
	    r.rip == 0x7f0000001234ull && r.rsp == f.base && r.rax == 9 &&
	        r.orig_rax == (uint64_t)-1 && r.rdi == 11 && r.rsi == 22 && r.rdx == 33 &&
	        r.r10 == 44 && r.r8 == 55 && r.r9 == 66 && r.rcx == old.rcx &&
	        others_kept(&r, &old, changed, sizeof(changed) / sizeof(changed[0])),
	    "setup_syscall: rip, rsp at the return slot, rax=nr, rdi rsi rdx r10 r8 r9, orig_rax=-1, rcx and rest kept");
	r.rax = (uint64_t)-EINTR;
	check(xs_arch_syscall_result(&r) == -EINTR, "syscall result -EINTR read back as negative");
	r.rax = 0x7f0000200000ull;
	check(xs_arch_syscall_result(&r) == 0x7f0000200000l, "syscall result mmap address");
	xs_arch_set_pc(&r, 0x4010);
	r.rsp = 0x7ffc0000;
	check(xs_arch_pc(&r) == 0x4010 && r.rip == 0x4010 && xs_arch_sp(&r) == 0x7ffc0000,
	      "pc/sp are rip/rsp");
}

/* --- signal frames and the code around them ------------------------------------------- */
static uint64_t u64_at(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static uint32_t u32_at(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

/* Offsets in the kernel's rt_sigframe (pretcode, then struct ucontext). */
#define UC 8
#define MC (UC + 40)
#define MC_REG(n)                                                                                  \
	(MC +                                                                                      \
	 8 * (n)) /* r8..r15 0-7, rdi 8, rsi, rbp, rbx, rdx, rax 13, rcx, rsp 15, rip 16, eflags 17 */

static void test_frame_layout(void)
{
	unsigned char fpu[2688], *b = NULL;
	struct xs_arch_frame f;
	uint64_t fp;
	xs_regs r;
	int rc;

	memset(fpu, 0x5a, sizeof(fpu));
	memset(fpu + 512, 0, 64);
	fpu[512] = 3; /* XSTATE_BV: x87 and SSE only */
	fill_regs(&r);
	r.rsp = 0x7ffc00010000ull;
	r.orig_rax = (uint64_t)-1;
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0x4000, 0x7f0000004050ull, &b, &f);
	fp = rc ? 0 : u64_at(b, MC + 184);
	check(
	    rc == 0 && f.base + f.len <= r.rsp - 128 && (f.base + 8) % 16 == 0 && fp % 64 == 0 &&
	        fp >= f.base + 440 && fp + 576 + 4 == f.base + f.len,
	    "frame below the red zone, return slot 8 off 16, FPU area 64-aligned above the frame (base 0x%llx, len %zu)",
	    (unsigned long long)f.base, f.len);
	if (rc)
		return;
	check(
	    u64_at(b, 0) == 0x7f0000004050ull && u64_at(b, UC) == 7 && u64_at(b, UC + 8) == 0 &&
	        u32_at(b, UC + 24) == 0x7fffffff && f.mask == f.base + UC + 296 &&
	        u64_at(b, UC + 296) == 0x4000,
	    "return slot, uc_flags FP_XSTATE|SIGCONTEXT_SS|STRICT_RESTORE_SS, no link, altstack left alone, mask");
	check(u64_at(b, MC_REG(0)) == r.r8 && u64_at(b, MC_REG(8)) == r.rdi &&
	          u64_at(b, MC_REG(13)) == r.rax && u64_at(b, MC_REG(15)) == r.rsp &&
	          u64_at(b, MC_REG(16)) == r.rip && u64_at(b, MC_REG(17)) == r.eflags &&
	          (uint16_t)u64_at(b, MC + 144) == (uint16_t)r.cs,
	      "saved registers are the thread's (not in a system call: as they are)");
	check(
	    u32_at(b, fp - f.base + 464) == 0x46505853 && u32_at(b, fp - f.base + 468) == 580 &&
	        u32_at(b, fp - f.base + 480) == 576 && u32_at(b, fp - f.base + 576) == 0x46505845 &&
	        b[fp - f.base + 100] == 0x5a,
	    "XSAVE area: magic1, extended and used size for x87+SSE, magic2 after it, the state copied");
	free(b);

	r.orig_rax = 0;         /* stopped in read() */
	r.rax = (uint64_t)-512; /* -ERESTARTSYS */
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0, 1, &b, &f);
	check(
	    rc == 0 && u64_at(b, MC_REG(13)) == 0 && u64_at(b, MC_REG(16)) == r.rip - 2,
	    "interrupted read(): the frame runs it again (rax = orig_rax, rip back over the syscall)");
	free(b);
	r.orig_rax = 35;        /* nanosleep */
	r.rax = (uint64_t)-516; /* -ERESTART_RESTARTBLOCK */
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0, 1, &b, &f);
	check(rc == 0 && u64_at(b, MC_REG(13)) == 35 && u64_at(b, MC_REG(16)) == r.rip - 2,
	      "interrupted nanosleep(): the original call again, not restart_syscall");
	free(b);
	r.rax = (uint64_t)-4; /* -EINTR: a result, not a restart */
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0, 1, &b, &f);
	check(rc == 0 && u64_at(b, MC_REG(13)) == (uint64_t)-4 && u64_at(b, MC_REG(16)) == r.rip,
	      "a finished system call's result is kept");
	free(b);

	rc = xs_arch_frame_make(&r, fpu, 512, 0, 1, &b, &f);
	fp = rc ? 0 : u64_at(b, MC + 184);
	check(rc == 0 && u64_at(b, UC) == 6 && fp + 512 == f.base + f.len &&
	          u32_at(b, fp - f.base + 464) == 0,
	      "FXSAVE-only state: no UC_FP_XSTATE, no magic1, 512 bytes");
	free(b);
	rc = xs_arch_frame_make(&r, fpu, 300, 0, 1, &b, &f);
	check(rc == -EINVAL, "FPU state of an unknown size: -EINVAL");
	fpu[512 + 7] = 0x80; /* a component no CPU has */
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0, 1, &b, &f);
	check(rc == -EINVAL, "XSAVE area with an unknown component: -EINVAL");
	fpu[512 + 7] = 0;
	r.rsp = 0x400;
	rc = xs_arch_frame_make(&r, fpu, sizeof(fpu), 0, 1, &b, &f);
	check(rc == -EFAULT, "no stack below the stack pointer: -EFAULT");
}

static bool has(const struct xs_arch_seq *s, const unsigned char *bytes, size_t len)
{
	return s->len == len && !memcmp(s->bytes, bytes, len);
}

static void test_borrowed_code(void)
{
	static const unsigned char sysret[] = { 0x0f, 0x05, 0xc3 };
	static const unsigned char rt_rax[] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	static const unsigned char stub[] = { 0x48, 0x89, 0xc7, 0xb8, 0x27, 0, 0,    0,   0x0f,
		                              0x05, 0xb8, 0x0f, 0,    0,    0, 0x0f, 0x05 };

	check(has(&xs_arch_syscall_ret, sysret, 3), "syscall; ret is 0f 05 c3");
	check(xs_arch_nsigreturn_seqs >= 1 &&
	          has(&xs_arch_sigreturn_seqs[0], rt_rax, sizeof(rt_rax)),
	      "glibc's __restore_rt (mov $15, %%rax; syscall) is looked for first");
	check(XS_ARCH_STUB_SIZE == sizeof(stub) &&
	          !memcmp(xs_arch_return_stub, stub, sizeof(stub)) && XS_ARCH_STUB_STOP == 10 &&
	          XS_ARCH_STUB_NR == 39,
	      "return stub: mov %%rax,%%rdi; getpid (stops at +10); rt_sigreturn");
}

static void test_sigreturn_regs(void)
{
	struct xs_arch_frame f = { .base = 0x7ffc00000f08ull };
	xs_regs r, old;

	fill_regs(&r);
	r.orig_rax = 39;
	check(xs_arch_syscall_nr(&r) == 39, "syscall number at a stop is orig_rax");
	old = r;
	xs_arch_setup_sigreturn(&r, 0x7f0000004050ull, &f);
	check(r.rip == 0x7f0000004050ull && r.rsp == f.base + 8 && r.orig_rax == (uint64_t)-1 &&
	          others_kept(&r, &old, (const size_t[]){ OFF(rip), OFF(rsp), OFF(orig_rax) }, 3),
	      "setup_sigreturn: rip at the sequence, rsp just above the return slot, orig_rax=-1");
}

int main(void)
{
	void *p = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("FAIL: mmap scratch code\n");
		return 1;
	}
	code = p;
	test_misc();
	test_jump_bytes();
	test_jump_exec();
	test_nops();
	test_reloc_facts();
	test_reloc_info();
	test_reloc_apply();
	test_setup_call();
	test_syscall_regs();
	test_sigreturn_regs();
	test_frame_layout();
	test_borrowed_code();
	munmap(code, CODE_SIZE);
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
