#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the logs of scripts/bench/run.sh into the results table, CSV and plots.

  report.py OUTDIR CASES WALL_LOG [INSN_LOG PLUGIN_LOG]

WALL_LOG / INSN_LOG: guest serial output (secx-run / secx-result lines).
PLUGIN_LOG: insncount's log (secx-mark lines).  Writes OUTDIR/results.txt,
results.csv, results.rst, *.dat and the gnuplot PNGs.  Exit status 1 when a
case failed (status=fail) anywhere.
"""
import os
import statistics as st
import subprocess
import sys

GIB = float(1 << 30)
MIB = float(1 << 20)
MARK = 0x5EC50000


def kv(line):
    out = {}
    for tok in line.split()[1:]:
        if '=' in tok:
            k, v = tok.split('=', 1)
            out[k] = v
    return out


def parse_serial(path):
    """Returns (runs by tag, verify results, env lines, drivers)."""
    runs, verify, env, drivers = {}, [], [], []
    pending = None
    if not path or not os.path.exists(path):
        return runs, verify, env, drivers
    with open(path, errors='replace') as f:
        for line in f:
            line = line.strip()
            if line.startswith('secx-run '):
                pending = kv(line)
            elif line.startswith('secx-result '):
                r = kv(line)
                if r.get('tag', '-1') == '-1':
                    verify.append(r)
                else:
                    if pending and pending.get('tag') == r['tag']:
                        r['rep'] = int(pending['rep'])
                        r['size'] = int(pending['size'])
                    runs[int(r['tag'])] = r
                pending = None
            elif line.startswith('secx-bench-env '):
                env.append(line[len('secx-bench-env '):])
            elif line.startswith('secx-bench-driver '):
                drivers.append(line[len('secx-bench-driver '):])
    return runs, verify, env, drivers


def parse_marks(path):
    marks = {}
    if not path or not os.path.exists(path):
        return marks
    with open(path, errors='replace') as f:
        for line in f:
            p = line.split()
            # secx-mark TAG INSNS COPY ZERO [NVCPU INSNS_VCPU0 ...]
            if len(p) >= 5 and p[0] == 'secx-mark':
                tag = int(p[1], 16)
                if tag & 0xFFFF0000 == MARK:
                    v = [int(x) for x in p[2:5]]
                    if len(p) > 5 and len(p) == 6 + int(p[5]):
                        v += [int(x) for x in p[6:]]
                    marks[tag & 0xFFFF] = v
    return marks


def med(xs):
    return st.median(xs) if xs else None


def fmt(x, spec, na='—'):
    return na if x is None else format(x, spec)


def main():
    out, cases_path, wall_log = sys.argv[1:4]
    insn_log = sys.argv[4] if len(sys.argv) > 4 else None
    plugin_log = sys.argv[5] if len(sys.argv) > 5 else None
    os.makedirs(out, exist_ok=True)

    cases = []
    with open(cases_path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                name, args = line.split('|', 1)
                cases.append((name, args))
    names = [c[0] for c in cases]

    failed = []
    res = {n: {'status': 'ok', 'msg': '', 'mibps': [], 'tx': [], 'rx': [],
               'insn': {}, 'copy': {}, 'zero': {}, 'rep_mibps': {}} for n in names}

    # Wall clock
    wruns, wverify, wenv, wdrivers = parse_serial(wall_log)
    iruns, iverify, ienv, idrivers = parse_serial(insn_log)
    for r in wverify + iverify + list(wruns.values()) + list(iruns.values()):
        n = r.get('name')
        if n not in res:
            continue
        if r['status'] == 'fail':
            res[n]['status'] = 'fail'
            res[n]['msg'] = r.get('msg', '')
            failed.append('%s: %s' % (n, r.get('msg', '')))
        elif r['status'] == 'na' and res[n]['status'] == 'ok':
            res[n]['status'] = 'na'
            res[n]['msg'] = r.get('msg', '').replace('_', ' ')
    for r in wruns.values():
        n = r['name']
        if n not in res or r['status'] != 'ok':
            continue
        b = int(r['bytes'])
        res[n]['mibps'].append(float(r['mibps']))
        res[n]['rep_mibps'][r.get('rep', 0)] = float(r['mibps'])
        res[n]['tx'].append(float(r['tx_cpu_s']) * GIB / b)
        res[n]['rx'].append(float(r['rx_cpu_s']) * GIB / b)

    # Instructions: per (case, size) medians of end - start, then the slope.
    marks = parse_marks(plugin_log)
    per, byrep = {}, {}
    for tag, r in iruns.items():
        if r['status'] != 'ok' or r.get('name') not in res:
            continue
        s, e = marks.get(tag * 2), marks.get(tag * 2 + 1)
        if not s or not e:
            failed.append('%s: no markers for tag %d' % (r['name'], tag))
            continue
        d = [e[i] - s[i] for i in range(min(len(s), len(e)))]
        per.setdefault((r['name'], r['size']), []).append(d)
        byrep.setdefault((r['name'], r.get('rep', 0)), {})[r['size']] = d
    for (n, size), vals in per.items():
        res[n]['insn'][size] = med([v[0] for v in vals])
        res[n]['copy'][size] = med([v[1] for v in vals])
        res[n]['zero'][size] = med([v[2] for v in vals])
        res[n].setdefault('spread', {})[size] = (
            (max(v[0] for v in vals) - min(v[0] for v in vals)) / med([v[0] for v in vals])
            if len(vals) > 1 else 0.0)

    def slope(n, key):
        d = res[n][key]
        if len(d) < 2:
            return None
        big, small = max(d), min(d)
        return (d[big] - d[small]) / float(big - small)

    # Per repetition: the slope of the whole guest, and the critical path:
    # that times the largest single-vCPU share.  kTLS's count is bimodal between
    # runs, so the table shows min-max and uses the median.
    for (n, _), d in byrep.items():
        if len(d) < 2:
            continue
        big, small = max(d), min(d)
        k = GIB / 1e9 / float(big - small)
        res[n].setdefault('rep_gins', []).append((d[big][0] - d[small][0]) * k)
        # The busiest vCPU's share of the larger run (a per-vCPU slope
        # would depend on where the scheduler put the two ends each time).
        if len(d[big]) > 3 and d[big][0] > 0:
            share = max(d[big][3:]) / float(d[big][0])
            res[n].setdefault('rep_crit', []).append(res[n]['rep_gins'][-1] * share)
            res[n]['nvcpu'] = len(d[big]) - 3
    for n in names:
        r = res[n]
        r['gins'] = med(r.get('rep_gins', []))
        if r['gins'] is None:
            r['gins'] = slope(n, 'insn')
            if r['gins'] is not None:
                r['gins'] *= GIB / 1e9
        r['crit'] = med(r.get('rep_crit', []))
        c, z = slope(n, 'copy'), slope(n, 'zero')
        r['copyb'], r['zerob'] = c, z
        r['cz'] = None if c is None else c + z

    def ref(n, base):
        return ('veth-' + base) if n.startswith('veth-') else base

    def ratio(n, base, key):
        b = ref(n, base)
        if n not in res or b not in res or res[n]['status'] != 'ok':
            return None
        if key == 'mibps':
            common = set(res[n]['rep_mibps']) & set(res[b]['rep_mibps'])
            rs = [res[n]['rep_mibps'][k] / res[b]['rep_mibps'][k] for k in common
                  if res[b]['rep_mibps'][k] > 0]
            return med(rs)
        x, y = res[n].get(key), res[b].get(key)
        return x / y if x is not None and y else None

    # The plugin's self-check (secx-bench --plugin-check): known work.
    check = None
    if all(t in marks for t in (0x7FF0, 0x7FF1, 0x7FF2, 0x7FF3)):
        m0, m1, m2, m3 = (marks[t] for t in (0x7FF0, 0x7FF1, 0x7FF2, 0x7FF3))
        check = ('plugin check (expected: 1000000 copy B and 1 insn + marker code; 1000000 zero B; '
                 '~3000 insns): rep movsb -> %d copy B, %d insns; rep stosq -> %d zero B, '
                 '%d insns; 1000-iteration loop -> %d insns'
                 % (m1[1] - m0[1], m1[0] - m0[0], m2[2] - m1[2], m2[0] - m1[0], m3[0] - m2[0]))

    # AF_ALG floor: cost/byte = b + a/record; two record sizes give b.
    floor = None
    a16, a64 = res.get('alg-aes128-16k'), res.get('alg-aes128-64k')
    if a16 and a64 and a16['gins'] and a64['gins']:
        c16, c64 = a16['gins'], a64['gins']
        a = (c16 - c64) / (1 / 16384.0 - 1 / 65536.0)
        floor = c64 - a / 65536.0

    rows = []
    for n, args in cases:
        r = res[n]
        rows.append({
            'case': n, 'args': args, 'status': r['status'], 'msg': r['msg'],
            'mibps': med(r['mibps']),
            'mibps_min': min(r['mibps']) if r['mibps'] else None,
            'mibps_max': max(r['mibps']) if r['mibps'] else None,
            'x_ktls': ratio(n, 'ktls-aes128gcm-sendfile', 'mibps'),
            'x_tcp': ratio(n, 'tcp-sendfile', 'mibps'),
            'tx_cpu': med(r['tx']), 'rx_cpu': med(r['rx']),
            'gins': r['gins'], 'gins_x_ktls': ratio(n, 'ktls-aes128gcm-sendfile', 'gins'),
            'gins_min': min(r['rep_gins']) if r.get('rep_gins') else None,
            'gins_max': max(r['rep_gins']) if r.get('rep_gins') else None,
            'crit': r['crit'], 'crit_x_ktls': ratio(n, 'ktls-aes128gcm-sendfile', 'crit'),
            'nvcpu': r.get('nvcpu'),
            'copy': r['copyb'], 'zero': r['zerob'], 'cz': r['cz'],
            'spread': max(r.get('spread', {0: 0}).values()) if r.get('spread') else None,
            'reps': len(r['mibps']),
        })

    # CSV
    cols = ['case', 'status', 'mibps', 'mibps_min', 'mibps_max', 'x_ktls', 'x_tcp', 'tx_cpu',
            'rx_cpu', 'gins', 'gins_min', 'gins_max', 'gins_x_ktls', 'crit', 'crit_x_ktls', 'nvcpu',
            'copy', 'zero', 'cz', 'spread', 'reps', 'args', 'msg']
    with open(os.path.join(out, 'results.csv'), 'w') as f:
        f.write(','.join(cols) + '\n')
        for row in rows:
            vals = []
            for c in cols:
                v = row[c]
                if isinstance(v, float):
                    v = '%.6g' % v
                v = '' if v is None else str(v)
                vals.append('"%s"' % v if ',' in v or ' ' in v else v)
            f.write(','.join(vals) + '\n')

    # Text / rst table
    hdr = ['case', 'MiB/s (min-max)', 'x kTLS', 'x TCP', 'TX CPU s/GiB', 'RX CPU s/GiB',
           'G insns/GiB (min-max)', 'insns x kTLS', 'crit. path G/GiB (share)', 'crit x kTLS',
           'copy+zero B/B (copy/zero)']
    table = []
    for row in rows:
        if row['status'] != 'ok':
            what = row['msg'] or row['status']
            if row['status'] == 'na' and not what.startswith('n/a'):
                what = 'n/a (' + what + ')'
            table.append([row['case'], what] + [''] * 9)
            continue
        mib = fmt(row['mibps'], '.1f')
        if row['reps'] > 1:
            mib += ' (%s-%s)' % (fmt(row['mibps_min'], '.1f'), fmt(row['mibps_max'], '.1f'))
        cz = fmt(row['cz'], '.2f')
        if row['cz'] is not None:
            cz += ' (%.2f/%.2f)' % (row['copy'], row['zero'])
        gins = fmt(row['gins'], '.2f')
        if row['gins_min'] is not None and row['gins_max'] != row['gins_min']:
            gins += ' (%.2f-%.2f)' % (row['gins_min'], row['gins_max'])
        crit = fmt(row['crit'], '.2f')
        if row['crit'] is not None and row['gins']:
            crit += ' (%.0f %%)' % (100 * row['crit'] / row['gins'])
        table.append([row['case'], mib, fmt(row['x_ktls'], '.2f'), fmt(row['x_tcp'], '.3f'),
                      fmt(row['tx_cpu'], '.1f'), fmt(row['rx_cpu'], '.1f'),
                      gins, fmt(row['gins_x_ktls'], '.3f'), crit, fmt(row['crit_x_ktls'], '.3f'),
                      cz])
    widths = [max(len(hdr[i]), *(len(t[i]) for t in table)) for i in range(len(hdr))]

    def line(cells):
        return '  '.join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(cells))

    env = sorted(set(wenv + ienv))
    drivers = sorted(set(wdrivers + idrivers))
    notes = []
    if floor is not None:
        notes.append('AES-128-GCM cipher floor (AF_ALG encrypt+decrypt, fit through 16/64 KiB '
                     'records, per-record cost removed): %.2f G insns/GiB' % floor)
    tcp = res.get('tcp-sendfile', {}).get('gins')
    if floor is not None and tcp:
        notes.append('floor for a record layer = cipher + TCP sendfile = %.2f + %.2f = %.2f G/GiB'
                     % (floor, tcp, floor + tcp))
    if check:
        notes.append(check)
    rk = ratio('secx-aes128gcm-rekey1m', 'secx-aes128gcm-sendfile', 'mibps')
    if rk is not None:
        notes.append('secx 1 MiB rekey budget / no budget (MiB/s, per-rep median): %.3f' % rk)
    s, k = res.get('secx-aes128gcm-sendfile'), res.get('ktls-aes128gcm-sendfile')
    if s and k and s['gins'] and k['gins']:
        notes.append('secx AES-128-GCM sendfile: %.2f G insns/GiB, %.2f copy+zero B/B; '
                     'kTLS same boot: %.2f G, %.2f B/B'
                     % (s['gins'], s['cz'], k['gins'], k['cz']))
    if s and k and s.get('crit') and k.get('crit'):
        notes.append('critical path (largest per-vCPU G insns/GiB, %d vCPUs, median of %d runs): '
                     'secx %.2f, kTLS %.2f (secx/kTLS %.2f)'
                     % (s.get('nvcpu') or 0, len(s.get('rep_crit', [])), s['crit'], k['crit'],
                        s['crit'] / k['crit']))
    with open(os.path.join(out, 'results.txt'), 'w') as f:
        for e in env:
            f.write('guest: %s\n' % e)
        for d in drivers:
            f.write('crypto: %s\n' % d)
        f.write(line(hdr) + '\n' + line(['-' * w for w in widths]) + '\n')
        for t in table:
            f.write(line(t) + '\n')
        for n_ in notes:
            f.write(n_ + '\n')
        for fl in sorted(set(failed)):
            f.write('FAILED: %s (%d runs)\n' % (fl, failed.count(fl)))
    with open(os.path.join(out, 'results.rst'), 'w') as f:
        f.write('.. list-table::\n   :header-rows: 1\n\n')
        for t in [hdr] + table:
            f.write('   * - ' + '\n     - '.join(t) + '\n')
        f.write('\n')
        for n_ in notes:
            f.write('- ' + n_ + '\n')

    plots(out, rows)
    sys.stdout.write(open(os.path.join(out, 'results.txt')).read())
    return 1 if failed else 0


def plots(out, rows):
    main = [r for r in rows if not r['case'].startswith('sweep-') and r['status'] == 'ok']
    with open(os.path.join(out, 'cases.dat'), 'w') as f:
        for r in main:
            f.write('"%s" %s %s %s\n' % (r['case'], fmt(r['mibps'], '.3f', '0'),
                                         fmt(r['gins'], '.4f', '0'), fmt(r['cz'], '.4f', '0')))
    sweep = {}
    for r in rows:
        if r['case'].startswith('sweep-') and r['status'] == 'ok':
            _, proto, kib = r['case'].split('-')
            sweep.setdefault(int(kib.rstrip('k')), {})[proto] = r
    with open(os.path.join(out, 'sweep.dat'), 'w') as f:
        for kib in sorted(sweep):
            d = sweep[kib]
            vals = []
            for p in ('ktls', 'secx'):
                r = d.get(p)
                vals += [fmt(r and r['mibps'], '.3f', '0'), fmt(r and r['gins'], '.4f', '0'),
                         fmt(r and r['cz'], '.4f', '0')]
            f.write('%d %s\n' % (kib, ' '.join(vals)))
    n = max(len(main), 1)
    gp = """
set terminal pngcairo size 1200,%(h)d font "sans,9"
set output '%(out)s/cases.png'
set multiplot layout 1,3 title 'secx-bench: bulk transfer cases (one guest boot per metric)'
set style fill solid 0.8 border -1
set yrange [-0.5:%(n)d-0.5] reverse
set ytics nomirror
set grid xtics
unset key
set format y '%%s'
set xlabel 'MiB/s (wall clock, 2 vCPUs, median)'
set xrange [0:*]
plot '%(out)s/cases.dat' using ($2*0.5):0:($2*0.5):(0.35):yticlabels(1) with boxxyerror lc rgb '#4a7ebb'
set ytics format ''
set ytics ('' 0)
set xlabel 'G guest instructions / GiB'
plot '%(out)s/cases.dat' using ($3*0.5):0:($3*0.5):(0.35) with boxxyerror lc rgb '#c0504d'
set xlabel 'bytes copied+zeroed (REP MOVS/STOS) / payload byte'
plot '%(out)s/cases.dat' using ($4*0.5):0:($4*0.5):(0.35) with boxxyerror lc rgb '#9bbb59'
unset multiplot

set terminal pngcairo size 1200,420 font "sans,9"
set output '%(out)s/sweep.png'
set multiplot layout 1,3 title 'record-size sweep, AES-128-GCM, write() of one record per send()'
set yrange [0:*] noreverse
set ytics auto format '%%g'
set xrange [*:*]
set logscale x 2
set xlabel 'record size (KiB)'
set key top left
set grid
set ylabel 'MiB/s'
plot '%(out)s/sweep.dat' using 1:2 with linespoints title 'kTLS', '' using 1:5 with linespoints title 'secx'
set ylabel 'G insns/GiB'
plot '%(out)s/sweep.dat' using 1:3 with linespoints title 'kTLS', '' using 1:6 with linespoints title 'secx'
set ylabel 'copy+zero B/B'
plot '%(out)s/sweep.dat' using 1:4 with linespoints title 'kTLS', '' using 1:7 with linespoints title 'secx'
unset multiplot
""" % {'out': out, 'n': n, 'h': max(400, 60 + 18 * n)}
    with open(os.path.join(out, 'plots.gp'), 'w') as f:
        f.write(gp)
    try:
        subprocess.run(['gnuplot', os.path.join(out, 'plots.gp')], check=True,
                       stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write('report: gnuplot failed: %s\n' % (getattr(e, 'stderr', b'') or e))


if __name__ == '__main__':
    sys.exit(main())
