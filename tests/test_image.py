#!/usr/bin/env python3
# clbb's image decoding, resizing and pipeline against Debian's
# python3-opencv (cv2.imread IMREAD_COLOR, cv2.resize INTER_LINEAR, what
# mmcv calls) and a numpy version of MMDetection's test pipeline (mmcv's
# rescale_size, the data preprocessor's bgr_to_rgb + Normalize + Pad).
# Every odd input is generated here (cv2, PIL, a small hand-written PNG
# encoder): nothing big is committed.
# Usage: test_image.py PATH/TO/image_tool.  Exit 0 ok, 1 failures, 77 skip.
import os, shutil, struct, subprocess, sys, tempfile, zlib

try:
    import numpy as np
    import cv2
except ImportError:
    # meson's python3 may be one without Debian's numpy/cv2 (a pyenv)
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != \
            os.path.realpath('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    print('numpy or cv2 (python3-opencv) missing: skipped')
    sys.exit(77)
try:
    from PIL import Image
except ImportError:
    Image = None

TOOL = os.path.abspath(sys.argv[1])
T = tempfile.mkdtemp(prefix='clbb-image-')
failures = []
rng = np.random.default_rng(12)


def check(ok, what):
    if not ok:
        failures.append(what)
        print('FAIL:', what)


def tool(*args):
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True)
    return r.returncode, r.stderr.strip()


def path(name):
    return os.path.join(T, name)


def clbb_decode(p):
    rc, err = tool('decode', p, path('dec.npy'))
    if rc:
        return None, err
    return np.load(path('dec.npy')).astype(np.uint8), ''


def cv2_rgb(p):
    return cv2.imread(p, cv2.IMREAD_COLOR)[:, :, ::-1]


# --- a small PNG encoder for what cv2.imwrite does not write -----------------
def png_bytes(samples, color_type, depth, palette=None, trns=None, interlace=False):
    """samples: HxWxC integer array (C per colour type; palette indices for 3)."""
    h, w = samples.shape[:2]

    def scanlines(a):
        out = b''
        for row in a:
            if depth == 16:
                data = row.astype('>u2').tobytes()
            elif depth == 8:
                data = row.astype(np.uint8).tobytes()
            else:  # 1, 2, 4 bits, one sample per pixel
                vals, per, data = row.reshape(-1), 8 // depth, bytearray()
                for i in range(0, len(vals), per):
                    b = 0
                    for k in range(per):
                        v = int(vals[i + k]) if i + k < len(vals) else 0
                        b |= v << (8 - depth * (k + 1))
                    data.append(b)
                data = bytes(data)
            out += b'\0' + data
        return out

    if interlace:  # Adam7 passes, each a sub-image of its own
        raw = b''
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += scanlines(sub)
    else:
        raw = scanlines(samples)

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + \
            struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)

    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color_type,
                                                             0, 0, 1 if interlace else 0))
    if palette is not None:
        out += chunk(b'PLTE', bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b'tRNS', trns)
    return out + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def write(name, data):
    p = path(name)
    with open(p, 'wb') as f:
        f.write(data)
    return p


def jpeg_with_exif(jpeg, orientation, big_endian=False, broken=False):
    e = '>' if big_endian else '<'
    tiff = (b'MM' if big_endian else b'II') + struct.pack(e + 'HI', 42, 8)
    if broken:  # the IFD offset points past the segment
        tiff = tiff[:4] + struct.pack(e + 'I', 4000)
    tiff += struct.pack(e + 'H', 1) + struct.pack(e + 'HHIHH', 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(e + 'I', 0)
    app1 = b'Exif\0\0' + tiff
    return jpeg[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + jpeg[2:]


# --- decoding: every odd input kind, exactly as cv2.imread(IMREAD_COLOR) ------
def test_decode():
    h, w = 23, 37
    rgb8 = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    rgb16 = rng.integers(0, 65536, (h, w, 3), dtype=np.uint16)
    grey8 = rng.integers(0, 256, (h, w), dtype=np.uint8)
    files = {}
    # cv2 writes BGR(A)
    cv2.imwrite(path('rgb8.png'), rgb8[:, :, ::-1]); files['rgb8.png'] = path('rgb8.png')
    cv2.imwrite(path('rgb16.png'), rgb16[:, :, ::-1]); files['rgb16.png'] = path('rgb16.png')
    cv2.imwrite(path('grey8.png'), grey8); files['grey8.png'] = path('grey8.png')
    cv2.imwrite(path('grey16.png'), rng.integers(0, 65536, (h, w), dtype=np.uint16))
    files['grey16.png'] = path('grey16.png')
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    cv2.imwrite(path('rgba8.png'), rgba); files['rgba8.png'] = path('rgba8.png')
    cv2.imwrite(path('rgba16.png'), rng.integers(0, 65536, (h, w, 4), dtype=np.uint16))
    files['rgba16.png'] = path('rgba16.png')
    ga = rng.integers(0, 256, (h, w, 2))
    files['grey_alpha8.png'] = write('ga8.png', png_bytes(ga, 4, 8))
    files['grey_alpha16.png'] = write('ga16.png', png_bytes(rng.integers(0, 65536, (h, w, 2)), 4, 16))
    pal = rng.integers(0, 256, (16, 3))
    idx = rng.integers(0, 16, (h, w, 1))
    files['palette8.png'] = write('p8.png', png_bytes(idx, 3, 8, palette=pal))
    files['palette4_trns.png'] = write('p4.png', png_bytes(idx, 3, 4, palette=pal,
                                                          trns=bytes(range(0, 160, 10))))
    for d in (1, 2, 4):
        files['grey%d.png' % d] = write('g%d.png' % d,
                                        png_bytes(rng.integers(0, 1 << d, (h, w, 1)), 0, d))
    files['interlaced_rgb8.png'] = write('i8.png', png_bytes(rgb8, 2, 8, interlace=True))
    files['interlaced_grey2.png'] = write('i2.png', png_bytes(rng.integers(0, 4, (h, w, 1)), 0, 2,
                                                              interlace=True))
    files['interlaced_rgba16.png'] = write('i16.png', png_bytes(
        rng.integers(0, 65536, (h, w, 4)), 6, 16, interlace=True))
    files['tiny_1x1.png'] = write('one.png', png_bytes(np.array([[[7, 8, 9]]]), 2, 8))
    # JPEG: colour (4:2:0), grey, progressive, 4:4:4
    photo = cv2.imread(DEMO)[:61, :45]
    cv2.imwrite(path('c.jpg'), photo); files['colour.jpg'] = path('c.jpg')
    cv2.imwrite(path('g.jpg'), cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)); files['grey.jpg'] = path('g.jpg')
    cv2.imwrite(path('pr.jpg'), photo, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    files['progressive.jpg'] = path('pr.jpg')
    if hasattr(cv2, 'IMWRITE_JPEG_SAMPLING_FACTOR'):
        cv2.imwrite(path('444.jpg'), photo, [cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                             cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
        files['444.jpg'] = path('444.jpg')
    files['demo.jpg'] = DEMO
    # a single-scan file missing only its EOI marker decodes, as in OpenCV
    files['no_eoi.jpg'] = write('noeoi.jpg', open(DEMO, 'rb').read()[:-2])
    jpeg = open(path('c.jpg'), 'rb').read()
    for o in range(1, 9):
        files['exif%d_le.jpg' % o] = write('e%d.jpg' % o, jpeg_with_exif(jpeg, o))
        files['exif%d_be.jpg' % o] = write('m%d.jpg' % o, jpeg_with_exif(jpeg, o, True))
    files['exif_broken.jpg'] = write('eb.jpg', jpeg_with_exif(jpeg, 6, broken=True))
    files['exif_value9.jpg'] = write('e9.jpg', jpeg_with_exif(jpeg, 9))
    xmp = b'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>'
    e6 = jpeg_with_exif(jpeg, 6)  # OpenCV reads only the first APP1: here an XMP one
    files['xmp_then_exif.jpg'] = write('xe.jpg', e6[:2] + b'\xff\xe1' + struct.pack('>H', len(xmp) + 2) +
                                       xmp + e6[2:])
    if Image is not None:
        cmyk = Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), 'CMYK')
        cmyk.save(path('cmyk.jpg'), quality=90)
        files['cmyk.jpg'] = path('cmyk.jpg')
        data = open(path('cmyk.jpg'), 'rb').read()
        a = data.find(b'Adobe')
        if a > 0:  # the same file marked YCCK (Adobe transform 2): libjpeg's YCCK path
            files['ycck.jpg'] = write('ycck.jpg', data[:a + 11] + b'\x02' + data[a + 12:])
    for name, p in files.items():
        got, err = clbb_decode(p)
        ref = cv2_rgb(p)
        if got is None:
            check(False, 'decode %s: %s' % (name, err))
            continue
        same = got.shape == ref.shape and np.array_equal(got, ref)
        check(same, 'decode %s: %s vs cv2 %s, max diff %s' % (
            name, got.shape, ref.shape,
            np.abs(got.astype(int) - ref).max() if got.shape == ref.shape else '-'))
    print('decode: %d files compared with cv2.imread' % len(files))


# --- refusals: truncated, corrupt, absurd sizes ---------------------------------
def test_refusals():
    def refused(name, data, pattern):
        p = write(name, data)
        rc, err = tool('decode', p, path('never.npy'))
        check(rc == 1 and err.startswith('malformed file') and pattern in err and name in err,
              'refuse %s: exit %d, message %r (wanted %r)' % (name, rc, err, pattern))
        check(not os.path.exists(path('never.npy')), 'refuse %s: output written' % name)

    png = open(path('rgb8.png'), 'rb').read()
    jpg = open(path('c.jpg'), 'rb').read()
    prog = open(path('pr.jpg'), 'rb').read()
    refused('trunc.png', png[:len(png) // 2], 'truncated')
    refused('trunc_sig.png', png[:12], 'truncated')
    refused('trunc.jpg', jpg[:len(jpg) * 2 // 3], 'truncated')
    refused('trunc_prog.jpg', prog[:len(prog) // 2], 'truncated')
    refused('trunc_header.jpg', jpg[:100], 'jpeg')
    refused('prog_no_eoi.jpg', prog[:-2], 'truncated')
    sos = [i for i in range(len(prog) - 1) if prog[i:i + 2] == b'\xff\xda']
    refused('prog_lost_scans.jpg', prog[:sos[-1]], 'truncated')  # whole scans missing
    bad_crc = bytearray(png)
    bad_crc[png.find(b'IDAT') + 10] ^= 0xff
    refused('bad_crc.png', bytes(bad_crc), 'png')
    refused('empty.png', b'', 'not a PNG or JPEG')
    refused('text.jpg', b'hello, world\n', 'not a PNG or JPEG')
    refused('noise.jpg', b'\xff\xd8\xff' + bytes(rng.integers(0, 256, 300, dtype=np.uint8)), 'jpeg')
    big = png_bytes(np.zeros((1, 1, 3)), 2, 8)
    ihdr = big.find(b'IHDR')

    def with_size(w, h):
        body = b'IHDR' + struct.pack('>II', w, h) + big[ihdr + 12:ihdr + 17]
        return big[:ihdr] + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff) + \
            big[ihdr + 21:]
    refused('wide.png', with_size(70000, 1), 'limit')
    refused('huge.png', with_size(60000, 60000), 'limit')
    sof = jpg.find(b'\xff\xc0')
    refused('huge.jpg', jpg[:sof + 5] + struct.pack('>HH', 65000, 65000) + jpg[sof + 9:], 'limit')
    refused('zero.jpg', jpg[:sof + 5] + struct.pack('>HH', 0, 40) + jpg[sof + 9:], 'jpeg')


# --- resize: cv2.resize(INTER_LINEAR) on uint8 ----------------------------------
def compare_resize(src, dw, dh, label):
    np.save(path('raw.npy'), src.astype(np.float32))
    rc, err = tool('resize_raw', path('raw.npy'), dw, dh, path('res.npy'))
    if rc:
        check(False, 'resize %s: %s' % (label, err))
        return 0
    got = np.load(path('res.npy')).astype(np.int16)
    ref = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
    ref = ref.reshape(dh, dw, -1)
    diff = np.abs(got - ref)
    check(diff.max() <= 1, 'resize %s: max diff %d (> 1 level)' % (label, diff.max()))
    return int((diff > 0).sum())


def test_resize():
    inexact = n = 0
    sizes = [(37, 23, 13, 11), (37, 23, 97, 61), (64, 48, 32, 24), (65, 49, 32, 24),
             (1, 1, 5, 3), (5, 1, 2, 9), (2, 2, 1, 1), (3, 7, 3, 14), (10, 10, 10, 3),
             (320, 375, 1333, 800), (320, 375, 53, 61), (100, 80, 50, 40), (17, 9, 1, 1),
             (41, 29, 40, 30)]
    for cn in (1, 2, 3, 4):
        for sw, sh, dw, dh in sizes:
            src = rng.integers(0, 256, (sh, sw, cn), dtype=np.uint8)
            inexact += compare_resize(src, dw, dh, '%dx%dx%d->%dx%d' % (sw, sh, cn, dw, dh))
            n += dw * dh * cn
    # decoded photo, through the whole decode + resize path, keep-ratio sizes
    photo = cv2.imread(DEMO)
    for dw, dh in [(160, 188), (1333, 1562), (213, 250), (31, 17), (640, 750)]:
        rc, err = tool('resize', DEMO, dw, dh, path('res.npy'))
        if rc:
            check(False, 'resize demo: %s' % err)
            continue
        got = np.load(path('res.npy')).astype(np.int16)
        ref = cv2.resize(photo, (dw, dh), interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
        diff = np.abs(got - ref)
        check(diff.max() <= 1, 'resize demo to %dx%d: max diff %d' % (dw, dh, diff.max()))
        inexact += int((diff > 0).sum())
        n += dw * dh * 3
    print('resize: %d samples compared with cv2.resize, %d differ by 1 level' % (n, inexact))


# --- the whole pipeline against numpy mmdet --------------------------------------
PRESETS = [  # (to_rgb, mean, std) as mmdet's data preprocessors (SPEC §4)
    (True, [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]),
    (False, [103.530, 116.280, 123.675], [1.0, 1.0, 1.0]),
    (False, [103.530, 116.280, 123.675], [57.375, 57.120, 58.395]),
]


def mmdet_pipeline(p, scale, keep_ratio, pad, preset):
    img = cv2.imread(p, cv2.IMREAD_COLOR)  # mmcv.imread: BGR
    h, w = img.shape[:2]
    if scale != (0, 0):
        if keep_ratio:  # mmcv.rescale_size + _scale_size
            s = min(max(scale) / max(h, w), min(scale) / min(h, w))
            size = int(w * float(s) + 0.5), int(h * float(s) + 0.5)
        else:
            size = scale
        img = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    to_rgb, mean, std = PRESETS[preset]
    if to_rgb:
        img = img[:, :, ::-1]
    x = img.astype(np.float32).transpose(2, 0, 1)
    x = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    if pad > 1:
        ph, pw = -(-x.shape[1] // pad) * pad, -(-x.shape[2] // pad) * pad
        x = np.pad(x, ((0, 0), (0, ph - x.shape[1]), (0, pw - x.shape[2])))
    return x[None].astype(np.float32)


def test_pipeline():
    tall = write('tall.png', png_bytes(rng.integers(0, 256, (71, 29, 1)), 0, 8))
    wide = path('wide.jpg')
    cv2.imwrite(wide, cv2.imread(DEMO)[100:150, :])
    cases = [(DEMO, (1333, 800), 1, 32, 0), (DEMO, (1333, 800), 1, 32, 1), (DEMO, (64, 48), 1, 32, 2),
             (DEMO, (64, 48), 0, 32, 0), (DEMO, (96, 80), 0, 0, 1), (DEMO, (0, 0), 1, 32, 0),
             (DEMO, (0, 0), 1, 1, 2), (DEMO, (48, 64), 1, 7, 0), (DEMO, (640, 750), 1, 32, 0),
             (tall, (100, 60), 1, 16, 0), (tall, (60, 100), 1, 32, 1), (wide, (1333, 800), 1, 32, 0),
             (wide, (800, 1333), 1, 32, 2), (wide, (33, 17), 0, 1, 0)]
    for p, scale, keep, pad, preset in cases:
        label = '%s scale %s keep %d pad %d preset %d' % (os.path.basename(p), scale, keep, pad,
                                                          preset)
        rc, err = tool('pipeline', p, scale[0], scale[1], keep, pad, preset, path('x.npy'))
        if rc:
            check(False, 'pipeline %s: %s' % (label, err))
            continue
        got = np.load(path('x.npy'))
        ref = mmdet_pipeline(p, scale, keep, pad, preset)
        ok = got.shape == ref.shape and np.abs(got - ref).max() <= 1e-5 * max(1, np.abs(ref).max())
        check(ok, 'pipeline %s: %s vs mmdet %s%s' % (
            label, got.shape, ref.shape,
            ', max diff %g' % np.abs(got - ref).max() if got.shape == ref.shape else ''))
    print('pipeline: %d cases compared with numpy mmdet' % len(cases))


# --- feature-map picture ------------------------------------------------------
def test_visualize():
    a = rng.standard_normal((1, 4, 16, 12)).astype(np.float32)
    b = rng.standard_normal((1, 20, 8, 6)).astype(np.float32)
    b[0, 1] = 3.0  # a constant channel
    np.save(path('l0.npy'), a)
    np.save(path('l1.npy'), b)
    rc, err = tool('visualize', path('vis.png'), path('l0.npy'), path('l1.npy'))
    check(rc == 0, 'visualize: %s' % err)
    if rc:
        return
    img = cv2_rgb(path('vis.png'))
    # 8 tiles per row (the tool's max_channels), tiles of the largest level
    check(img.shape == (2 * 17 + 1, 8 * 13 + 1, 3), 'visualize: picture shape %s' % (img.shape,))
    check(not img[0].any() and not img[:, 0].any() and not img[17].any(),
          'visualize: separators are not black')
    check(not img[1:17, 4 * 13 + 1:].any(), 'visualize: the empty cells of level 0 are not black')
    tile = img[1:17, 1:13].reshape(-1, 3).tolist()
    check([68, 1, 84] in tile and [253, 231, 37] in tile,
          'visualize: a tile does not span viridis from its low to its high end')
    check((img[18:26, 14:26] == [68, 1, 84]).all(), 'visualize: a constant channel is not at the low end')
    rc, err = tool('visualize', os.path.join(T, 'no', 'such', 'dir.png'), path('l0.npy'))
    check(rc == 1 and 'dir.png' in err, 'visualize to a missing directory: %d %s' % (rc, err))


DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'data', 'demo.jpg')
try:
    test_decode()
    test_refusals()
    test_resize()
    test_pipeline()
    test_visualize()
finally:
    shutil.rmtree(T, ignore_errors=True)
if failures:
    print('%d failures' % len(failures))
    sys.exit(1)
print('image tests: all passed')
