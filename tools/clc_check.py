#!/usr/bin/env python3
"""Compiles every (kernel source, -D options) pair clbb builds with clang's
OpenCL C front end, as OpenCL C 1.2 and as 3.0, on a minimal device: no
extension (no cl_khr_fp64, so no double) and, for 3.0, no optional feature
(generic address space, program-scope globals, sub-groups, work-group
collectives, pipes, device-side enqueue, images, seq_cst atomics);
cl_khr_fp16 only for the CLBB_FP16_NATIVE variants. The 1.2 pass also
generates code at -O0, which finds helpers that link only when inlined.
Exits 1 on any error, on a warning a strict driver makes an error (double
literal, ignored extension), and when a planted bad kernel passes.

The pairs come from build logs (src/cl/program.c writes one "family<TAB>
options" line per program it builds when CLBB_PROGRAM_LOG=FILE is set) and
from tests/clc_variants.txt (scripts/clc_collect.sh's collection from
`clbb check --quick` and model runs on PoCL); every fp16 set (-D DTYPE=1)
also gets its -D CLBB_FP16_NATIVE=1 twin, the variant a device with
cl_khr_fp16 builds. Missing log files are fine (a test run alone).

usage: clc_check.py CL_DIR LIST LOG... [--clang PATH] [--jobs N] [--max-extra N] [-v]
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

NATIVE = '-D CLBB_FP16_NATIVE=1'
# (name, -cl-std, target): 1.2 on 32-bit spir (phones' address width), 3.0
# on spir64, so the two passes also cover both pointer sizes. The 1.2 pass
# also generates code at -O0 (a driver under -cl-opt-disable), which finds
# calls that only link when inlined; 3.0 is the semantic check only.
STANDARDS = [('CL1.2', 'CL1.2', 'spir'), ('CL3.0', 'CL3.0', 'spir64')]
CODEGEN = {'CL1.2'}
# macros a minimal OpenCL C 1.2 / 3.0 full-profile device still defines
KEEP = {'__opencl_c_int64', '__opencl_c_named_address_space_builtins', 'cl_khr_fp16'}
ASM = re.compile(r'\b(__asm__|asm)\s*(volatile\s*)?\(')
# warnings that are errors on a strict driver (clang only warns)
FATAL_WARNINGS = re.compile(r'double precision constant|unsupported OpenCL extension|'
                            r'requires cl_khr_fp64|implicit conversion .*double')


def find_clang(explicit):
    """clang 15 or later: clang 14's -fdeclare-opencl-builtins lacks
    vload_half / vstore_half when no extension is on."""
    for c in ([explicit] if explicit else ['clang-15', 'clang-16', 'clang']):
        path = shutil.which(c)
        if not path:
            continue
        r = subprocess.run([path, '--version'], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, universal_newlines=True)
        m = re.search(r'clang version (\d+)', r.stdout)
        if m and int(m.group(1)) >= 15:
            return path
    return None


def read_pairs(paths):
    pairs = {}
    for path in paths:
        try:
            with open(path, encoding='utf-8') as f:
                lines = f.readlines()
        except FileNotFoundError:
            continue
        for n, line in enumerate(lines, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            family, sep, options = line.partition('\t')
            if not sep or not re.fullmatch(r'[a-z0-9_]+', family):
                sys.exit(f'clc: {path}:{n}: expected "family<TAB>options", got {line!r}')
            options = ' '.join(shlex.split(options))
            pairs.setdefault((family, options), path)
    return pairs


def signature(family, options):
    """What decides a variant's code paths: the macro names and their 0/1
    flag values; sizes and tiles differ from layer to layer."""
    words = [w for w in options.split() if w != '-D']
    return (family, tuple(sorted(w if w.split('=', 1)[-1] in ('0', '1') else w.split('=')[0]
                                 for w in words)))


def cap_extra(pairs, first_list, cap):
    """Pairs only the build logs name (a full CI run adds every set its tests
    built) are capped at cap: new code-path signatures first, then the rest
    in order, so the test stays short however many tests ran."""
    listed = {k for k, v in pairs.items() if v == first_list}
    seen = {signature(*k) for k in listed}
    extra = sorted(k for k in pairs if k not in listed)
    novel = [k for k in extra if signature(*k) not in seen]
    rest = [k for k in extra if signature(*k) in seen]
    keep = set()
    for k in novel + rest:
        if len(keep) >= cap:
            break
        keep.add(k)
        seen.add(signature(*k))
    for k in extra:
        if k not in keep:
            del pairs[k]
    return len(extra) - len(keep)


def add_native(pairs):
    """The cl_khr_fp16 twin of every fp16-storage set."""
    extra = {}
    for (family, options), src in pairs.items():
        words = options.split()
        fp16 = any(words[i] == '-D' and i + 1 < len(words) and words[i + 1] == 'DTYPE=1'
                   for i in range(len(words))) or 'DTYPE=1' in [w[2:] for w in words]
        if fp16 and 'CLBB_FP16_NATIVE=1' not in options:
            extra.setdefault((family, (options + ' ' + NATIVE).strip()), src + ' (native twin)')
    pairs.update({k: v for k, v in extra.items() if k not in pairs})


def base_flags(clang, std, target, native):
    ext = '-all,+cl_khr_fp16' if native else '-all'
    return [clang, '-x', 'cl', '-cl-std=' + std, '-target', target,
            '-Xclang', '-finclude-default-header', '-Xclang', '-fdeclare-opencl-builtins',
            '-Xclang', '-cl-ext=' + ext, '-fno-color-diagnostics']


def write_prelude(clang, std, target, native, path):
    """-cl-ext=-all turns the compiler's extensions and features off, but
    clang's default header defines many 3.0 feature and extension macros
    for SPIR targets anyway (work-group collectives, sub-group extensions,
    seq_cst / device-scope atomics, read-write images, ...), and the lazily
    declared builtins follow those macros: a prelude after the header
    undefines all of them but the core ones."""
    r = subprocess.run(base_flags(clang, std, target, native) + ['-E', '-dM', '-'],
                       input='', stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, check=True)
    names = sorted(set(re.findall(r'#define ((?:__opencl_c|cl)_\w+)', r.stdout)) - KEEP)
    with open(path, 'w', encoding='utf-8') as f:
        f.write('/* generated by tools/clc_check.py: a minimal device */\n')
        f.writelines(f'#undef {n}\n' for n in names)


def mode_flags(std):
    return ['-O0', '-emit-llvm', '-S', '-o', '-'] if std in CODEGEN else ['-fsyntax-only']


def command(clang, cl_dir, family, options, std, target, preludes):
    native = 'CLBB_FP16_NATIVE=1' in options
    return base_flags(clang, std, target, native) + mode_flags(std) + [
        '-include', preludes[(std, native)],
        '-include', os.path.join(cl_dir, 'common.cl')] + shlex.split(options) + \
        [os.path.join(cl_dir, family + '.cl')]


# kernels a minimal device rejects: the check must fail every one in both
# standards, or it would pass such a kernel in cl/ (a clang upgrade that
# relaxes a rule shows up here first)
PLANTED = {
    'double literal': '__kernel void k(__global float *p) { p[0] *= 0.5; }',
    'half arithmetic without cl_khr_fp16':
        '__kernel void k(__global half *p) { half h = p[0]; vstore_half(0.0f, 1, p); }',
    'work-group collective': '__kernel void k(__global float *p) { p[0] = work_group_reduce_add(p[0]); }',
    'sub-groups': '__kernel void k(__global uint *p) { p[0] = get_sub_group_size(); }',
    'generic address space':
        'void f(float *q) { q[0] = 0.0f; }\n__kernel void k(__global float *p) { f(p); }',
    'program-scope global': '__global int g;\n__kernel void k(__global int *p) { p[0] = g; }',
    'plain inline function (C99)': 'inline float f(float v) { return v * 2.0f; }\n'
                                    '__kernel void k(__global float *p) { p[0] = f(p[0]); }',
}


def self_test(clang, preludes, tmp):
    problems = []
    for n, (what, text) in enumerate(PLANTED.items()):
        path = os.path.join(tmp, f'planted{n}.cl')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text + '\n')
        for name, std, target in STANDARDS:
            if what.startswith('plain inline') and std not in CODEGEN:
                continue  # found by code generation only
            cmd = base_flags(clang, std, target, False) + mode_flags(std) + [
                '-include', preludes[(std, False)], path]
            if not compile_one(cmd)[0]:
                problems.append(f'{what} ({name})')
    return problems


def uses_asm(clang, cl_dir, family, options):
    """Whether the variant's preprocessed source has inline assembly."""
    r = subprocess.run([clang, '-x', 'cl', '-cl-std=CL1.2', '-E', '-P'] + shlex.split(options) +
                       ['-include', os.path.join(cl_dir, 'common.cl'),
                        os.path.join(cl_dir, family + '.cl')],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    return r.returncode != 0 or bool(ASM.search(r.stdout))


def compile_one(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    out = r.stderr
    bad = r.returncode != 0 or any(FATAL_WARNINGS.search(l) for l in out.splitlines()
                                   if 'warning:' in l)
    # builtins are mangled (_Z...) or intrinsics (llvm.*); any other
    # declaration is a clbb function with no definition in the program
    undefined = [m for m in re.findall(r'^declare .*? @"?([\w.$]+)"?\(', r.stdout, re.M)
                 if not m.startswith(('_Z', 'llvm.'))]
    for f in undefined:
        out += (f'error: {f} is called but not defined at -O0 (a C99 `inline` definition '
                f'has no external one: make it `static inline`)\n')
    return bad or bool(undefined), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cl_dir')
    ap.add_argument('lists', nargs='+')
    ap.add_argument('--clang')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--max-extra', type=int, default=300,
                    help='most pairs compiled beyond the first list (default 300)')
    ap.add_argument('-v', action='store_true')
    a = ap.parse_args()
    clang = find_clang(a.clang)
    if not clang:
        print('clc: no clang 15 or later (Debian: clang-15): skipped')
        return 77
    pairs = read_pairs(a.lists)
    if not pairs:
        print('clc: no (source, options) pairs in ' + ', '.join(a.lists))
        return 1
    capped = cap_extra(pairs, a.lists[0], a.max_extra)
    if capped:
        print(f'clc: {capped} logged pairs past --max-extra {a.max_extra} not compiled '
              f'(new code-path signatures went first; the rest differ in sizes and tiles)')
    add_native(pairs)
    missing = sorted({f for f, _ in pairs if not os.path.exists(os.path.join(a.cl_dir, f + '.cl'))})
    if missing:
        print('clc: no cl/' + '.cl, cl/'.join(missing) + '.cl for listed pairs')
        return 1
    # vendor-only variants (inline PTX, built only after a vendor query and a
    # build probe) are not portable by design: listed, not compiled. Decided
    # per (source, options) on the preprocessed text, so that a source whose
    # assembly only some -D sets enable (conv2d_igemm's IG_MMA; with
    # IG_MMA_EMU the products are emulated in C) keeps its portable variants
    asm_src = {f for f, _ in pairs
               if ASM.search(open(os.path.join(a.cl_dir, f + '.cl'), encoding='utf-8').read())}
    vendor = {p for p in pairs if p[0] in asm_src and uses_asm(clang, a.cl_dir, *p)}
    for f in sorted(asm_src):
        n = sum(1 for p in vendor if p[0] == f)
        print(f'clc: cl/{f}.cl: {n} of {sum(1 for p in pairs if p[0] == f)} variants have '
              f'inline assembly (vendor-only): not compiled')
    tmp = tempfile.mkdtemp(prefix='clc-')
    preludes = {}
    for name, std, target in STANDARDS:
        for native in (False, True):
            preludes[(std, native)] = os.path.join(tmp, f'{name}-{int(native)}.h')
            write_prelude(clang, std, target, native, preludes[(std, native)])
    problems = self_test(clang, preludes, tmp)
    if problems:
        print('clc: the check accepts kernels a minimal device rejects: ' + ', '.join(problems))
        return 1
    jobs = []
    for (family, options) in sorted(p for p in pairs if p not in vendor):
        for name, std, target in STANDARDS:
            jobs.append((family, options, name,
                         command(clang, a.cl_dir, family, options, std, target, preludes)))
    t0 = time.time()
    failed = warned = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = ex.map(lambda j: compile_one(j[3]), jobs)
        for (family, options, name, cmd), (bad, out) in zip(jobs, results):
            if bad:
                failed += 1
                print(f'FAIL {name} {family} [{options}] (from {pairs[(family, options)]})')
                print('  ' + ' '.join(shlex.quote(c) for c in cmd))
                print(out)
            else:
                warned += 'warning:' in out
                if a.v or 'warning:' in out:
                    print(f'ok   {name} {family} [{options}]')
                    print(out, end='')
    shutil.rmtree(tmp, ignore_errors=True)
    native = sum(1 for _, o in pairs if 'CLBB_FP16_NATIVE=1' in o)
    families = len({f for f, _ in pairs})
    print(f'clc: {len(pairs)} (source, options) pairs over {families} sources '
          f'({native} fp16-native) x {len(STANDARDS)} standards = {len(jobs)} compiles with '
          f'{os.path.basename(clang)}, {failed} failed, {warned} with (harmless) warnings, '
          f'{time.time() - t0:.1f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
