// SPDX-License-Identifier: GPL-2.0
/*
 * insncount: a glib-free QEMU (7.2, plugin API v1) TCG plugin for x86-64
 * guests that counts executed guest instructions and the bytes moved by
 * REP MOVS / REP STOS, and logs both whenever the guest executes a marker.
 *
 *   qemu-system-x86_64 -accel tcg,thread=single -smp 1 \
 *       -plugin build/bench/libinsncount.so -d plugin -D insn.log ...
 *
 * Requires single-threaded TCG: the counters are plain globals.
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
 * Marker: the 8-byte NOP "0f 1f 84 00 <tag32>" (nopl disp32(%rax,%rax,1))
 * with the top 16 bits of the little-endian tag equal to 0x5ec5.  The
 * standard 8-byte NOP has tag 0, so it never matches.  When a marker
 * executes, the plugin logs
 *
 *   secx-mark <tag hex> <insns> <copy bytes> <zero bytes>
 *
 * where insns counts every instruction executed before the marker.
 * At exit it logs "secx-total <insns> <copy bytes> <zero bytes>".
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_MAGIC 0x5ec5u

static uint64_t insns, copy_bytes, zero_bytes;
static uint64_t last_rep_pc;	/* REP insn executed last, or 0 */

struct rep_tb {
	uint64_t pc;
	unsigned int elem;	/* bytes per iteration */
	int is_stos;
};

struct mark {
	uint32_t tag;
	unsigned int after;	/* insns after the marker in its TB */
};

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
	(void)vcpu;
	last_rep_pc = 0;
	insns += (uintptr_t)udata;
}

static void rep_tb_exec(unsigned int vcpu, void *udata)
{
	const struct rep_tb *r = udata;

	(void)vcpu;
	if (last_rep_pc == r->pc) {
		if (r->is_stos)
			zero_bytes += r->elem;
		else
			copy_bytes += r->elem;
	} else {
		insns++;
	}
	last_rep_pc = 0;
}

static void rep_insn_exec(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	last_rep_pc = (uintptr_t)udata;
}

static void mark_exec(unsigned int vcpu, void *udata)
{
	const struct mark *m = udata;
	char buf[128];

	(void)vcpu;
	snprintf(buf, sizeof(buf), "secx-mark %08" PRIx32 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		 m->tag, insns - m->after, copy_bytes, zero_bytes);
	qemu_plugin_outs(buf);
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
		if (!elem)
			continue;
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
	char buf[128];

	(void)id;
	(void)udata;
	snprintf(buf, sizeof(buf), "secx-total %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		 insns, copy_bytes, zero_bytes);
	qemu_plugin_outs(buf);
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
	if (info->system_emulation && info->system.smp_vcpus != 1)
		fprintf(stderr, "insncount: warning: %d vCPUs; counts assume -smp 1 and thread=single\n",
			info->system.smp_vcpus);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
