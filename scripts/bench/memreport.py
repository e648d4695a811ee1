#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Table of scripts/bench/guest-memory.sh results: kernel memory per
connection pair, medians over the repetitions.

    memreport.py LOG...

Exit status 1 if a log lacks a result for tcp, ktls or secx (a failed run).
"""
import re
import statistics
import sys

PROTOS = ("tcp", "ktls", "secx")
FIELDS = ("slab_b", "sunreclaim_b", "caches_b", "used_b", "avail_b", "vmalloc_b", "sockmem_b")


def kv(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v):
    return "—" if v is None else f"{v / 1000:.1f}"


def main(logs):
    rc = 0
    for log in logs:
        env, runs, caches = {}, {}, {}
        try:
            lines = open(log, errors="replace").read().splitlines()
        except OSError as e:
            print(f"{log}: {e}")
            rc = 1
            continue
        for ln in lines:
            if ln.startswith("secx-mem-env "):
                env = kv(ln)
            elif ln.startswith("secx-mem "):
                d = kv(ln)
                if d.get("name", "").startswith("warmup"):
                    continue
                runs.setdefault((d["proto"], d["phase"]), []).append(d)
            elif ln.startswith("secx-mem-cache "):
                d = kv(ln)
                if d.get("name", "").startswith("warmup"):
                    continue
                caches.setdefault((d["proto"], d["phase"], d["cache"]), []).append(int(d["bytes"]))
        print()
        print(f"kernel {env.get('kernel', '?')}: {env.get('pairs', '?')} idle pairs, "
              f"{env.get('xfer_pairs', '?')} pairs x {int(env.get('xfer_bytes', 0)) >> 20} MiB "
              f"then {env.get('idle_s', '?')} s idle, {env.get('reps', '?')} reps, "
              f"/proc/slabinfo: {env.get('slabinfo', '?')}")
        print("KB per connection pair (both ends), medians.  slab = growth of Slab in /proc/meminfo;")
        print("  large = the part of it outside /proc/slabinfo's caches (kmalloc() > 8 KiB: whole pages);")
        print("  non-slab = drop of free pages (MemFree + per-CPU lists) - slab growth;")
        print("  used = drop of free pages; TCP mem = /proc/net/sockstat 'TCP: mem' pages (charged to sockets)")
        hdr = ("proto", "idle slab", "large", "non-slab", "used", "TCP mem",
               "xfer slab", "non-slab", "used", "TCP mem")
        print("  ".join(f"{h:>10}" if i else f"{h:<6}" for i, h in enumerate(hdr)))
        res, spread = {}, {}
        for p in PROTOS:
            row = [p]
            for ph in ("idle", "xfer"):
                rs = [r for r in runs.get((p, ph), []) if all(f in r for f in FIELDS)]
                if not rs:
                    if ph == "idle" or int(env.get("xfer_pairs", 0) or 0):
                        rc = 1
                    row += [None] * (5 if ph == "idle" else 4)
                    continue
                m = {f: med([int(r[f]) for r in rs]) for f in FIELDS}
                nonslab = med([int(r["used_b"]) - int(r["slab_b"]) for r in rs])
                large = (med([int(r["slab_b"]) - int(r["caches_b"]) for r in rs])
                         if int(rs[0]["caches_b"]) >= 0 else None)
                res[(p, ph)] = m
                if ph == "idle":
                    row += [m["slab_b"], large, nonslab, m["used_b"], m["sockmem_b"]]
                else:
                    row += [m["slab_b"], nonslab, m["used_b"], m["sockmem_b"]]
                    us = sorted(int(r["used_b"]) for r in rs)
                    spread[p] = f"{us[0] / 1000:.0f}-{us[-1] / 1000:.0f}"
            print("  ".join(f"{fmt(v):>10}" if i else f"{v:<6}" for i, v in enumerate(row)))
        print("  (xfer = after the transfer and the idle time, per transfer pair, relative to idle;")
        print("   xfer used min-max: " + ", ".join(f"{p} {v}" for p, v in spread.items()) + ")")
        s, k, t = (res.get((p, "idle")) for p in ("secx", "ktls", "tcp"))
        if s and k and k["slab_b"]:
            print(f"secx / kTLS, idle: slab {s['slab_b'] / k['slab_b']:.1f}x, "
                  f"used {s['used_b'] / max(k['used_b'], 1):.1f}x")
        if s and k and t:
            so, ko = s["used_b"] - t["used_b"], k["used_b"] - t["used_b"]
            print(f"above plain TCP, idle (used): secx {so / 1000:.1f} KB, kTLS {ko / 1000:.1f} KB"
                  + (f" ({so / ko:.1f}x)" if ko > 0 else ""))
        for p in PROTOS:
            for ph in ("idle", "xfer"):
                top = sorted(((med(v), c) for (pp, phh, c), v in caches.items()
                              if pp == p and phh == ph), reverse=True)[:4]
                if top:
                    print(f"  {p} {ph}: largest slab caches (B/pair): " +
                          ", ".join(f"{c} {v:.0f}" for v, c in top))
        if "secx-mem-all-done rc=0" not in lines:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
