#!/usr/bin/env python3
# Layering check: the library's directories under src/ form layers that may
# only call downward, so that each can be built, tested and reused without
# the ones above it:
#   core -> core;  io, ref, cl -> core (siblings, no calls between them);
#   models -> core io ref cl;  check -> core io ref cl models;
#   cli -> only the public API: functions declared CLBB_API in include/ (and
#   the Python package binds only those, see python_calls()).
# It reads the built objects with nm: every undefined symbol that another of
# our objects defines is an edge, and each edge must follow the table
# (symbols of libc, OpenCL, CLBlast, cJSON... are defined by none of our
# objects and are ignored). It also checks that io builds without OpenCL:
# no io object needs a cl[A-Z]* symbol, and every src/io/*.c compiles when
# <CL/cl.h> and <CL/opencl.h> are headers that #error. And the layers above
# the launchers see the context and tensors through functions only: no
# source of models, check or cli includes (even indirectly) a header with
# their layouts (core/*_impl.h) or a launcher header (src/cl/*.h) other
# than the registry's.
# Usage: test_layers.py SOURCE_DIR BUILD_DIR.  Exit 0 ok, 1 violations,
# 77 (skip) when there are no objects or no nm.
import collections, os, re, shutil, subprocess, sys, tempfile

ALLOWED = {
    'core': {'core'},
    'io': {'core'}, 'ref': {'core'}, 'cl': {'core'},
    'models': {'core', 'io', 'ref', 'cl'},
    'check': {'core', 'io', 'ref', 'cl', 'models'},
    'cli': set(),  # plus public clbb_* symbols, see allowed()
}
GENERATED = {'clbb_kernels.c': 'cl'}  # build-dir sources (tools/embed_kernels.py)


LAYOUT_HEADERS = re.compile(r'src/core/\w+_impl\.h$|src/cl/(?!conv2d_registry\.h)\w+\.h$')
ABOVE_LAUNCHERS = ('models', 'check', 'cli')


def public_api(src_dir):
    """Names of the functions the public headers declare CLBB_API."""
    names = set()
    inc = os.path.join(src_dir, 'include')
    for root, _, files in os.walk(inc):
        for f in files:
            if f.endswith('.h'):
                text = open(os.path.join(root, f)).read()
                names.update(re.findall(r'CLBB_API[^;{]*?\b(clbb_\w+)\s*\(', text))
    return names


def python_calls(src_dir, public):
    """The Python package binds public functions only: every "clbb_..." name
    python/clbb/_lib.py declares, except the optional ones (bound when the
    library has them), must be CLBB_API in include/."""
    path = os.path.join(src_dir, 'python', 'clbb', '_lib.py')
    if not os.path.exists(path):
        return []
    text = open(path).read()
    m = re.search(r'_OPTIONAL\s*=\s*\{([^}]*)\}', text)
    optional = set(re.findall(r'"(clbb_\w+)"', m.group(1))) if m else set()
    names = set(re.findall(r'"(clbb_\w+)":', text))
    return ['python/clbb -> %s (not a public function)' % n
            for n in sorted(names - optional - public)]


def allowed(layer, sym, def_layer, public):
    if layer == def_layer:
        return True
    if layer == 'cli':
        return sym in public
    return def_layer in ALLOWED.get(layer, set())


def layout_includes(src_dir, cc):
    """Sources above the launchers that reach a layout or launcher header."""
    errors = []
    for layer in ABOVE_LAUNCHERS:
        d = os.path.join(src_dir, 'src', layer)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not f.endswith('.c'):
                continue
            cmd = cc + ['-std=c11', '-MM', '-D_POSIX_C_SOURCE=200809L',
                        '-I' + os.path.join(src_dir, 'include'),
                        '-I' + os.path.join(src_dir, 'src'), os.path.join(d, f)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            deps = [os.path.relpath(os.path.normpath(p), src_dir)
                    for p in r.stdout.replace('\\\n', ' ').split()[1:]]
            bad = [p for p in deps if LAYOUT_HEADERS.search(p)]
            if bad:
                errors.append('%s %s includes %s (layouts are for core and cl only)'
                              % (layer, f, ', '.join(bad)))
    return errors


def find_objects(src_dir, build_dir):
    """{object path: (layer, file name within the layer)}, one object per source."""
    names = {name: ('generated', name, layer) for name, layer in GENERATED.items()}
    for root, _, files in os.walk(os.path.join(src_dir, 'src')):
        for f in files:
            if f.endswith('.c'):
                rel = os.path.relpath(os.path.join(root, f), src_dir).replace(os.sep, '/')
                parts = rel.split('/')  # src/LAYER/.../file.c
                names[rel.replace('/', '_')] = (rel, '/'.join(parts[2:]), parts[1])
    objs, seen = {}, set()
    for root, _, files in os.walk(build_dir):
        if not root.endswith('.p') and '.p' + os.sep not in root:
            continue
        for f in sorted(files):
            # meson names an object after its source path, '/' -> '_';
            # take the longest source name the object name ends with
            hits = [k for k in names if f == k + '.o' or f.endswith('_' + k + '.o')]
            if not hits:
                continue  # tests, benchmarks, ...
            rel, name, layer = names[max(hits, key=len)]
            if rel not in seen:  # static and shared builds may each have one
                seen.add(rel)
                objs[os.path.join(root, f)] = (layer, name)
    return objs


def symbols(nm, obj):
    """(defined global symbols, undefined symbols) of one object."""
    out = subprocess.run([nm, '-P', '-g', obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2:
            (undefined if f[1] in 'Uwv' else defined).add(f[0])
    return defined, undefined


def io_compile_errors(src_dir, cc):
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, 'CL'))
        for h in ('cl.h', 'opencl.h'):
            with open(os.path.join(tmp, 'CL', h), 'w') as fp:
                fp.write('#error "io must build without OpenCL"\n')
        io_dir = os.path.join(src_dir, 'src', 'io')
        for f in sorted(os.listdir(io_dir)):
            if not f.endswith('.c'):
                continue
            cmd = cc + ['-std=c11', '-fsyntax-only', '-D_POSIX_C_SOURCE=200809L',
                        '-I' + tmp, '-I' + os.path.join(src_dir, 'include'),
                        '-I' + os.path.join(src_dir, 'src'), os.path.join(io_dir, f)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode == 0:
                continue
            # gcc prints "In file included from A:1, from B:2, from f.c:3:" above
            # the first error; show that chain as f.c -> B -> A -> CL/...
            chain, first = [], r.stderr.strip().splitlines()[:1]
            for line in r.stderr.splitlines():
                m = re.match(r'(?:In file included from|\s+from) (.+?):\d+[:,]$', line)
                if m:
                    chain.append(os.path.relpath(m.group(1), src_dir))
                elif 'error' in line:
                    first = [line]
                    break
            why = ' -> '.join(chain[::-1] + ['CL/...']) if '#error' in first[0] else first[0]
            errors.append('io %s does not build without OpenCL: %s' % (f, why))
    return errors


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: test_layers.py SOURCE_DIR BUILD_DIR')
    src_dir, build_dir = sys.argv[1:]
    nm = os.environ.get('NM', 'nm')
    if not shutil.which(nm):
        print('nm not found: skipped')
        return 77
    objs = find_objects(src_dir, build_dir)
    if not objs:
        print('no clbb objects under %s (build first): skipped' % build_dir)
        return 77

    public = public_api(src_dir)
    syms = {o: symbols(nm, o) for o in objs}
    defined_in = {}
    for o in sorted(objs):
        for s in syms[o][0]:
            defined_in.setdefault(s, objs[o])

    violations, edges = [], collections.Counter()
    for o, (layer, name) in sorted(objs.items(), key=lambda kv: kv[1]):
        if layer not in ALLOWED:
            violations.append('%s %s: src/%s is not a known layer' % (layer, name, layer))
        for s in sorted(syms[o][1]):
            if layer == 'io' and re.match(r'cl[A-Z]', s):
                violations.append('io %s -> %s (OpenCL)' % (name, s))
            if s not in defined_in:
                continue
            def_layer, def_name = defined_in[s]
            edges[layer, def_layer] += 1
            if not allowed(layer, s, def_layer, public):
                violations.append('%s %s -> %s (defined in %s %s)'
                                  % (layer, name, s, def_layer, def_name))

    cc = os.environ.get('CC', 'cc').split()
    violations += io_compile_errors(src_dir, cc)
    violations += layout_includes(src_dir, cc)
    violations += python_calls(src_dir, public)

    print('objects per layer: ' + ', '.join(
        '%s %d' % kv for kv in sorted(collections.Counter(l for l, _ in objs.values()).items())))
    print('edges (symbol references between layers):')
    for (a, b), n in sorted(edges.items()):
        print('  %-6s -> %-6s %4d' % (a, b, n))
    if violations:
        print('%d layering violation(s):' % len(violations))
        for v in violations:
            print('  ' + v)
        return 1
    print('no upward calls between layers; io builds without OpenCL; the CLI calls %d public '
          'functions only; no layout header above the launchers' % len(
              {s for o, (l, _) in objs.items() if l == 'cli' for s in syms[o][1] if s in public}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
