#!/usr/bin/env python3
"""Converts a PyTorch checkpoint (.pth / .pt from MMDetection, torchvision or
timm) to .safetensors for clbb, with torch alone (no safetensors package).

    python3 tools/convert_checkpoint.py resnet50-0676ba61.pth resnet50.safetensors
    python3 tools/convert_checkpoint.py faster_rcnn_r50_fpn_1x_coco.pth r50.safetensors --only-backbone

Who does what (SPEC B.2):
- this tool unwraps the checkpoint (`state_dict` / `model` / `module`
  nesting, a DistributedDataParallel `module.` prefix on every key), keeps
  the tensors, drops timm's profiling leftovers (`total_ops`, `total_params`)
  and, when asked, keeps only the keys under a prefix and strips it
  (--prefix P, --only-backbone = --prefix backbone.). Names are otherwise
  written as they are, dtypes too (F32/F16/BF16/F64/I64/U8/...).
- clbb's loader (src/models/weights.c) maps names at load time: it strips
  `backbone.` when no unprefixed key matches, maps timm's deep-stem names
  (`conv1.{0,1,3,4,6}` / `bn1` -> `stem.{0,1,3,4,6}` / `stem.7`), converts
  F16/BF16/F64 and ignores extra keys (fc.*, neck.*, num_batches_tracked).
  So a torchvision, timm or whole-detector file works without options;
  --only-backbone just makes the file smaller.

The output follows the safetensors format: an 8-byte little-endian header
length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
{...}} padded with spaces to 8 bytes, then the tensors back to back (largest
element size first, so that every tensor is aligned to its element size).
It is written to a temporary file and renamed.
"""
import argparse
import collections
import json
import os
import struct
import sys
import tempfile

WRAPPERS = ("state_dict", "model", "module")
TIMM_LEFTOVERS = ("total_ops", "total_params")


def die(msg):
    print(f"convert_checkpoint: error: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path, trust_pickle):
    import torch
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only
        if not trust_pickle:
            die(f"{path}: this torch cannot load without running the file's pickle code; pass "
                "--trust-pickle if you trust the file")
    except Exception as e:  # noqa: BLE001 -- torch raises several kinds here
        if not trust_pickle:
            die(f"{path}: not loadable as plain tensors ({type(e).__name__}: {str(e)[:200]}); "
                "checkpoints holding Python objects (mmengine's message_hub, optimizer state) "
                "need --trust-pickle, which runs the file's pickle code: only for files you trust")
    return torch.load(path, map_location="cpu")


def unwrap(obj, notes):
    """The state_dict inside an MMDetection / torchvision / timm checkpoint."""
    import torch
    while isinstance(obj, dict):
        tensors = sum(isinstance(v, torch.Tensor) for v in obj.values())
        inner = [k for k in WRAPPERS if isinstance(obj.get(k), dict)]
        if tensors == 0 and inner:
            notes.append(f"using checkpoint['{inner[0]}']")
            obj = obj[inner[0]]
            continue
        return obj
    if hasattr(obj, "state_dict"):  # a whole nn.Module saved with torch.save
        notes.append(f"using the state_dict() of a saved {type(obj).__name__}")
        return obj.state_dict()
    die(f"no state_dict found (the checkpoint is a {type(obj).__name__})")


def select(sd, prefix, notes):
    import torch
    out = collections.OrderedDict()
    skipped = 0
    for k, v in sd.items():
        if not isinstance(v, torch.Tensor):
            skipped += 1
            continue
        out[str(k)] = v
    if skipped:
        notes.append(f"skipped {skipped} non-tensor entries")
    keys = list(out)
    if keys and all(k.startswith("module.") for k in keys):
        out = collections.OrderedDict((k[len("module."):], v) for k, v in out.items())
        notes.append("stripped 'module.' (DistributedDataParallel) from every key")
    left = [k for k in out if k.rsplit(".", 1)[-1] in TIMM_LEFTOVERS]
    for k in left:
        del out[k]
    if left:
        notes.append(f"dropped {len(left)} profiling keys ({', '.join(TIMM_LEFTOVERS)})")
    if prefix:
        kept = collections.OrderedDict((k[len(prefix):], v) for k, v in out.items()
                                       if k.startswith(prefix))
        if not kept:
            heads = sorted({k.split(".", 1)[0] + "." for k in out})
            die(f"no key starts with '{prefix}' (the keys start with: {', '.join(heads[:12])})")
        notes.append(f"kept the {len(kept)} keys under '{prefix}' (prefix stripped), "
                     f"dropped {len(out) - len(kept)} others")
        out = kept
    return out


def dtype_name(t):
    import torch
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
             torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
    if t.dtype not in names:
        die(f"dtype {t.dtype} has no safetensors name")
    return names[t.dtype]


def tensor_bytes(t):
    import torch
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: same bits as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata):
    """tensors: {name: torch.Tensor}. Returns the file size."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header, blobs, offset = {}, [], 0
    for k in order:
        t = tensors[k]
        b = tensor_bytes(t)
        header[k] = {"dtype": dtype_name(t), "shape": list(t.shape),
                     "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {str(a): str(b) for a, b in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".convert-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 8 + len(h) + offset


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="checkpoint saved by torch.save (.pth / .pt)")
    ap.add_argument("output", help="the .safetensors file to write")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--prefix", metavar="P",
                   help="keep only the keys starting with P and strip it (e.g. 'backbone.', "
                        "'model.backbone.', 'encoder.')")
    g.add_argument("--only-backbone", action="store_true",
                   help="--prefix backbone.: only the backbone of an MMDetection detector")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="load checkpoints that hold Python objects (runs their pickle code)")
    a = ap.parse_args(argv)
    if sys.byteorder != "little":
        die("safetensors is little-endian: run this on a little-endian machine")
    if not os.path.isfile(a.input):
        die(f"{a.input}: no such file")
    with open(a.input, "rb") as f:
        head = f.read(9)
    if len(head) == 9 and head[8:9] == b"{" and \
            struct.unpack("<Q", head[:8])[0] < os.path.getsize(a.input):
        die(f"{a.input}: already a .safetensors file")
    try:
        import torch  # noqa: F401
    except ImportError:
        die("needs PyTorch (python3 -m pip install torch, or Debian's python3-torch)")
    notes = []
    sd = select(unwrap(load(a.input, a.trust_pickle), notes),
                "backbone." if a.only_backbone else a.prefix, notes)
    if not sd:
        die(f"{a.input}: no tensors")
    size = write_safetensors(a.output, sd, {"format": "pt",
                                            "source": os.path.basename(a.input)})
    counts = collections.Counter(dtype_name(t) for t in sd.values())
    print(f"{a.input}: {'; '.join(notes) if notes else 'a plain state_dict'}")
    print(f"wrote {a.output}: {len(sd)} tensors ({', '.join(f'{n} {d}' for d, n in sorted(counts.items()))}), "
          f"{size / 1e6:.1f} MB")
    heads = collections.Counter(k.split(".", 1)[0] for k in sd)
    print("top-level names: " + ", ".join(f"{h} ({n})" for h, n in heads.most_common(12)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
