// SPDX-License-Identifier: GPL-2.0
/*
 * insncount: a glib-free QEMU (7.2, plugin API v1) TCG plugin for x86-64
 * guests that counts executed guest instructions and the bytes moved by
 * REP MOVS / REP STOS, and logs both whenever the guest executes a marker.
 *
 *   qemu-system-x86_64 -accel tcg,thread=single -smp 1 \
 *       -plugin build/bench/libinsncount.so -d plugin -D insn.log ...
 *
 * Requires single-threaded TCG (-accel tcg,thread=single): the counters are
 * plain arrays, one slot per vCPU, and callbacks never run concurrently.
 * Any -smp works: every count is kept per vCPU.
 *
 * Instructions: every translated block (TB) gets an exec callback that adds
 * its instruction count when the block starts (an exception in the middle
 * of a block over-counts its tail; rare and constant per case).
 *
 * REP string instructions: TCG translates "rep movs/stos" so that each TB
 * execution performs one iteration, then jumps back to the instruction
 * itself, which starts a TB holding only that instruction.  With N > 0
 * iterations the instruction executes N + 1 times: the first execution does
 * iteration 1, executions 2..N do the rest and the last one only sees
 * RCX == 0 and falls through.  A "continuation" is a one-instruction TB at
 * the address of the REP instruction that executed just before it; there
 * are exactly N of them.  They are not counted as instructions (a REP
 * instruction retires once, as on hardware), and each adds one element
 * (1, 2, 4 or 8 bytes) to the copy (MOVS) or zero (STOS) byte counter.
 * An interrupt in the middle of a REP loses one element; only MOVS and STOS
 * are counted (not LODS/SCAS/CMPS, and not copies done with vector or
 * plain MOV loops).
 *
 * Copies and clears done without REP: a kernel whose memcpy()/memset() are
 * plain MOV loops on this CPU model (6.12 without FSRM/FSRS: memcpy_orig,
 * memset_orig) would escape the count above.  The guest therefore tells the
 * plugin where the kernel's copy and clear functions are (range markers,
 * below; the addresses come from /proc/kallsyms, so KASLR does not matter),
 * and every MOV to memory executed inside those functions adds its size to
 * the copy or zero counter (decoded from the instruction: 1, 2, 4 or 8
 * bytes; the functions copy with general-purpose registers).  All kernels get the same
 * treatment; REP instructions there keep being counted as above.
 *
 * Marker: the 8-byte NOP "0f 1f 84 00 <tag32>" (nopl disp32(%rax,%rax,1))
 * with the top 16 bits of the little-endian tag equal to 0x5ec5.  The
 * standard 8-byte NOP has tag 0, so it never matches.  When a marker
 * executes, the plugin logs
 *
 *   secx-mark <tag hex> <insns> <copy bytes> <zero bytes> <nvcpu> <insns vCPU 0> ...
 *
 * where insns counts every instruction executed before the marker (all
 * vCPUs; then each vCPU's own count).  At exit it logs
 * "secx-total <insns> <copy bytes> <zero bytes> <nvcpu> <insns vCPU 0> ...".
 *
 * Range marker: the same NOP with top half 0x5ec6 and low half 1 (copy) or
 * 2 (zero), followed in the same block by "movabs $start, %rax" and
 * "movabs $end, %rdx": stores by instructions in [start, end) count as
 * copied or zeroed bytes.  Blocks translated before a range was known are
 * flushed (qemu_plugin_reset) so that they are translated again.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_MAGIC 0x5ec5u
#define RANGE_MAGIC 0x5ec6u
#define MAX_VCPUS 64
#define MAX_RANGES 64

static qemu_plugin_id_t self;
static int nvcpus = 1;
static uint64_t insns[MAX_VCPUS], copy_bytes[MAX_VCPUS], zero_bytes[MAX_VCPUS];
static uint64_t last_rep_pc[MAX_VCPUS];	/* REP insn each vCPU executed last, or 0 */

static struct range {
	uint64_t start, end;
	int is_zero;
} ranges[MAX_RANGES];
static int nranges;

struct rep_tb {
	uint64_t pc;
	unsigned int elem;	/* bytes per iteration */
	int is_stos;
};

struct mark {
	uint32_t tag;
	unsigned int after;	/* insns after the marker in its TB */
};

static unsigned int vc(unsigned int vcpu)
{
	return vcpu < MAX_VCPUS ? vcpu : MAX_VCPUS - 1;
}

static uint64_t sum(const uint64_t *a)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < nvcpus; i++)
		t += a[i];
	return t;
}

/* Decode a REP MOVS/STOS; returns the element size or 0 (and *stos). */
static unsigned int rep_string(const uint8_t *p, size_t len, int *stos)
{
	int rep = 0, opsize16 = 0, rexw = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t b = p[i];

		if ((b & 0xf0) == 0x40) {	/* REX: only counts right before the opcode */
			rexw = !!(b & 8);
			continue;
		}
		if (b == 0xf3 || b == 0xf2)
			rep = 1;
		else if (b == 0x66)
			opsize16 = 1;
		else if (b != 0x67 && b != 0x2e && b != 0x36 && b != 0x3e &&
			 b != 0x26 && b != 0x64 && b != 0x65)
			break;		/* the opcode */
		rexw = 0;
	}
	if (!rep || i >= len)
		return 0;
	switch (p[i]) {
	case 0xa4: *stos = 0; return 1;
	case 0xaa: *stos = 1; return 1;
	case 0xa5: *stos = 0; break;
	case 0xab: *stos = 1; break;
	default: return 0;
	}
	return rexw ? 8 : opsize16 ? 2 : 4;
}

static void tb_exec(unsigned int vcpu, void *udata)
{
	vcpu = vc(vcpu);
	last_rep_pc[vcpu] = 0;
	insns[vcpu] += (uintptr_t)udata;
}

static void rep_tb_exec(unsigned int vcpu, void *udata)
{
	const struct rep_tb *r = udata;

	vcpu = vc(vcpu);
	if (last_rep_pc[vcpu] == r->pc) {
		if (r->is_stos)
			zero_bytes[vcpu] += r->elem;
		else
			copy_bytes[vcpu] += r->elem;
	} else {
		insns[vcpu]++;
	}
	last_rep_pc[vcpu] = 0;
}

static void rep_insn_exec(unsigned int vcpu, void *udata)
{
	last_rep_pc[vc(vcpu)] = (uintptr_t)udata;
}

/*
 * The bytes a MOV to memory stores (88/89/C6/C7 with a memory operand, or
 * MOVNTI 0F C3), or 0 for any other instruction.  QEMU 7.2's memory
 * callbacks are not usable here: after a faulting access (copy_*_user's
 * exception-table fix-ups) they run stale callback lists and abort.
 */
static unsigned int mov_store_size(const uint8_t *p, size_t len)
{
	int opsize16 = 0, rexw = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((p[i] & 0xf0) == 0x40) {
			rexw = !!(p[i] & 8);
			continue;
		}
		if (p[i] == 0x66)
			opsize16 = 1;
		else if (p[i] != 0x2e && p[i] != 0x3e && p[i] != 0x26 && p[i] != 0x36 &&
			 p[i] != 0x64 && p[i] != 0x65 && p[i] != 0x67)
			break;
		rexw = 0;
	}
	if (i + 1 >= len)
		return 0;
	if (p[i] == 0x0f) {
		if (p[i + 1] != 0xc3 || i + 2 >= len || (p[i + 2] >> 6) == 3)
			return 0;
		return rexw ? 8 : 4;
	}
	if ((p[i + 1] >> 6) == 3)	/* ModRM: register destination */
		return 0;
	switch (p[i]) {
	case 0x88:
	case 0xc6:
		return 1;
	case 0x89:
	case 0xc7:
		return rexw ? 8 : opsize16 ? 2 : 4;
	}
	return 0;
}

/* A MOV store inside a copy or clear function: udata = size | zero << 8. */
static void range_store(unsigned int vcpu, void *udata)
{
	uintptr_t u = (uintptr_t)udata;

	vcpu = vc(vcpu);
	if (u >> 8)
		zero_bytes[vcpu] += u & 0xff;
	else
		copy_bytes[vcpu] += u & 0xff;
}

static void print_counts(const char *what, uint64_t total)
{
	char buf[64 + 24 * MAX_VCPUS];
	int n, i;

	n = snprintf(buf, sizeof(buf), "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %d", what, total,
		     sum(copy_bytes), sum(zero_bytes), nvcpus);
	for (i = 0; i < nvcpus; i++)
		n += snprintf(buf + n, sizeof(buf) - n, " %" PRIu64, insns[i]);
	snprintf(buf + n, sizeof(buf) - n, "\n");
	qemu_plugin_outs(buf);
}

static void mark_exec(unsigned int vcpu, void *udata)
{
	const struct mark *m = udata;
	char what[32];

	vcpu = vc(vcpu);
	snprintf(what, sizeof(what), "secx-mark %08" PRIx32, m->tag);
	/* the instructions after the marker in its block are not done yet */
	insns[vcpu] -= m->after;
	print_counts(what, sum(insns));
	insns[vcpu] += m->after;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
static void at_exit(qemu_plugin_id_t id, void *udata);

static void reset_done(qemu_plugin_id_t id)
{
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
}

/* New ranges: translate every block again, with the store callbacks. */
static void range_exec(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	qemu_plugin_reset(self, reset_done);
}

static uint64_t movabs_imm(struct qemu_plugin_insn *insn, uint8_t opcode)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);
	uint64_t v;

	if (qemu_plugin_insn_size(insn) != 10 || p[0] != 0x48 || p[1] != opcode)
		return 0;
	memcpy(&v, p + 2, 8);
	return v;
}

/* A range marker at insn @i of @tb: remember the range it announces. */
static void add_range(struct qemu_plugin_tb *tb, size_t i, size_t n, uint32_t tag)
{
	uint64_t start, end;
	int j;

	if (i + 2 >= n)
		return;
	start = movabs_imm(qemu_plugin_tb_get_insn(tb, i + 1), 0xb8);
	end = movabs_imm(qemu_plugin_tb_get_insn(tb, i + 2), 0xba);
	if (!start || end <= start || end - start > 65536)
		return;
	for (j = 0; j < nranges; j++)
		if (ranges[j].start == start)
			return;
	if (nranges == MAX_RANGES)
		return;
	ranges[nranges].start = start;
	ranges[nranges].end = end;
	ranges[nranges].is_zero = (tag & 0xffff) == 2;
	nranges++;
	qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_tb_get_insn(tb, i), range_exec,
					       QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static const struct range *in_range(uint64_t pc)
{
	int j;

	for (j = 0; j < nranges; j++)
		if (pc >= ranges[j].start && pc < ranges[j].end)
			return &ranges[j];
	return NULL;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	int rep_only = 0;

	(void)id;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *p = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		unsigned int elem;
		int stos;

		if (len == 8 && p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x84 &&
		    p[3] == 0x00 && p[6] == (RANGE_MAGIC & 0xff) && p[7] == (RANGE_MAGIC >> 8)) {
			uint32_t tag;

			memcpy(&tag, p + 4, 4);
			add_range(tb, i, n, tag);
			continue;
		}
		if (len == 8 && p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x84 &&
		    p[3] == 0x00 && p[6] == (MARK_MAGIC & 0xff) && p[7] == (MARK_MAGIC >> 8)) {
			struct mark *m = malloc(sizeof(*m));

			if (!m)
				abort();
			memcpy(&m->tag, p + 4, 4);
			m->after = n - i - 1;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec,
							       QEMU_PLUGIN_CB_NO_REGS, m);
			continue;
		}
		elem = rep_string(p, len, &stos);
		if (!elem) {
			const struct range *r = nranges ? in_range(qemu_plugin_insn_vaddr(insn)) : NULL;
			unsigned int sz = r ? mov_store_size(p, len) : 0;

			if (sz)
				qemu_plugin_register_vcpu_insn_exec_cb(insn, range_store,
								       QEMU_PLUGIN_CB_NO_REGS,
								       (void *)(uintptr_t)(sz | r->is_zero << 8));
			continue;
		}
		qemu_plugin_register_vcpu_insn_exec_cb(insn, rep_insn_exec, QEMU_PLUGIN_CB_NO_REGS,
						       (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
		if (n == 1) {
			struct rep_tb *r = malloc(sizeof(*r));

			if (!r)
				abort();
			r->pc = qemu_plugin_insn_vaddr(insn);
			r->elem = elem;
			r->is_stos = stos;
			qemu_plugin_register_vcpu_tb_exec_cb(tb, rep_tb_exec,
							     QEMU_PLUGIN_CB_NO_REGS, r);
			rep_only = 1;
		}
	}
	if (!rep_only)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	print_counts("secx-total", sum(insns));
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insncount: x86_64 guests only, not %s\n", info->target_name);
		return -1;
	}
	if (info->system_emulation) {
		nvcpus = info->system.max_vcpus;
		if (nvcpus < 1 || nvcpus > MAX_VCPUS) {
			fprintf(stderr, "insncount: %d vCPUs; at most %d\n", nvcpus, MAX_VCPUS);
			return -1;
		}
	}
	self = id;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
