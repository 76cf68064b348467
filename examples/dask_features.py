#!/usr/bin/env python3
"""Backbone features for a folder of images with Dask distributed: one clbb
model per worker process, one .npy per output level per image.

    # a LocalCluster of 2 worker processes on this machine
    python3 examples/dask_features.py images/ features/ --arch resnet50 --weights r50.safetensors
    # a real cluster (workers started with `dask worker ADDRESS`, clbb importable there)
    python3 examples/dask_features.py images/ features/ --scheduler tcp://10.0.0.5:8786 ...
    # the same work in this process, without Dask (a reference)
    python3 examples/dask_features.py images/ features/ --no-dask

Inputs: *.png / *.jpg / *.jpeg (MMDetection's test pipeline through
clbb.load_image: --scale, --pad-divisor, --preprocess) and *.npy (float32
N,C,H,W or C,H,W arrays, used as they are). Outputs: OUT/<name>/out0.npy,
out1.npy, ... in MMDetection's order, the layout of `clbb run --output`.

Each worker process builds its model on its first task and keeps it on the
dask Worker object (distributed.get_worker()), so a worker pays the model
creation, weight loading and kernel builds once, whatever the number of
images; the compiled OpenCL programs go to the on-disk cache
($CLBB_CACHE_DIR, or --cache-dir), shared by the workers of a machine.
Run with one thread per worker: a clbb model belongs to one thread.
"""
import argparse
import json
import os
import sys
import time

IMAGE_EXTS = (".png", ".jpg", ".jpeg")


def list_inputs(folder):
    names = sorted(f for f in os.listdir(folder)
                   if f.lower().endswith(IMAGE_EXTS + (".npy",)) and not f.startswith("."))
    return [os.path.join(folder, f) for f in names]


def make_backbone(spec):
    """A clbb.Backbone from the JSON spec of the command line."""
    import clbb
    s = json.loads(spec)
    model = s["config"] if s["config"] is not None else s["arch"]
    return clbb.Backbone(model, weights=s["weights"], device=s["device"],
                         precision=s["precision"], seed=s["seed"])


def load_input(path, spec):
    import numpy as np
    import clbb
    if path.lower().endswith(".npy"):
        x = np.load(path)
        return x[None] if x.ndim == 3 else x
    s = json.loads(spec)
    return clbb.load_image(path, scale=s["scale"], keep_ratio=True,
                           pad_divisor=s["pad_divisor"], preprocess=s["preprocess"])


def run_one(net, path, out_dir, spec):
    """Features of one input written as out_dir/<name>/outI.npy; returns
    (name, shapes)."""
    import numpy as np
    name = os.path.splitext(os.path.basename(path))[0]
    feats = net(load_input(path, spec))
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    for i, f in enumerate(feats):
        tmp = os.path.join(d, f".out{i}.npy.tmp")
        with open(tmp, "wb") as fh:  # temp + rename: no partial file on failure
            np.save(fh, f)
        os.replace(tmp, os.path.join(d, f"out{i}.npy"))
    return name, [tuple(f.shape) for f in feats]


def extract(path, out_dir, spec):
    """The Dask task: the worker's model, made on its first task."""
    from distributed import get_worker
    w = get_worker()
    cache = getattr(w, "_clbb_backbones", None)
    if cache is None:
        cache = w._clbb_backbones = {}
    if spec not in cache:
        cache[spec] = make_backbone(spec)
    name, shapes = run_one(cache[spec], path, out_dir, spec)
    return name, shapes, f"{w.address} (pid {os.getpid()})"


def parse_scale(text):
    if text.lower() == "none":
        return None
    w, h = text.lower().split("x")
    return [int(w), int(h)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input_dir")
    ap.add_argument("output_dir")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--arch", default=None, help="a preset (default resnet50)")
    src.add_argument("--config", help="an MMDetection backbone dict as a JSON file")
    ap.add_argument("--weights", help=".safetensors file (see tools/convert_checkpoint.py); "
                    "without it: random weights from --seed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", help="device selector on the workers (default: CLBB_DEVICE, "
                    "else the first GPU, else the first device)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "fp16"])
    ap.add_argument("--scale", type=parse_scale, default=[1333, 800],
                    help="resize WxH for images (mmcv's keep-ratio rule) or none")
    ap.add_argument("--pad-divisor", type=int, default=32)
    ap.add_argument("--preprocess", default="pytorch",
                    choices=["pytorch", "caffe", "detectron2-x101"])
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="a running Dask scheduler (tcp://host:8786); default: a LocalCluster")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--no-dask", action="store_true", help="run in this process only")
    ap.add_argument("--cache-dir", help="the program cache the workers share "
                    "(sets CLBB_CACHE_DIR; default: $CLBB_CACHE_DIR or ~/.cache/clbb)")
    a = ap.parse_args(argv)

    config = None
    if a.config:
        with open(a.config) as f:
            config = json.load(f)
    spec = json.dumps({"arch": a.arch or "resnet50", "config": config,
                       "weights": os.path.abspath(a.weights) if a.weights else None,
                       "device": a.device, "precision": a.precision, "seed": a.seed,
                       "scale": a.scale, "pad_divisor": a.pad_divisor,
                       "preprocess": a.preprocess}, sort_keys=True)
    if a.cache_dir:
        os.environ["CLBB_CACHE_DIR"] = os.path.abspath(a.cache_dir)  # inherited by workers
    paths = list_inputs(a.input_dir)
    if not paths:
        print(f"dask_features: no .png/.jpg/.npy in {a.input_dir}", file=sys.stderr)
        return 2
    out_dir = os.path.abspath(a.output_dir)
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.time()

    if a.no_dask:
        net = make_backbone(spec)
        for p in paths:
            name, shapes = run_one(net, p, out_dir, spec)
            print(f"{name}: {shapes}")
        net.close()
        print(f"{len(paths)} inputs in {time.time() - t0:.1f} s (one process)")
        return 0

    from distributed import Client, LocalCluster, as_completed
    if a.scheduler:
        client, cluster = Client(a.scheduler), None
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        nworkers = len(client.scheduler_info()["workers"])
        futures = client.map(extract, paths, out_dir=out_dir, spec=spec, pure=False)
        by_worker = {}
        failed = 0
        for fut in as_completed(futures):
            try:
                name, shapes, worker = fut.result()
            except Exception as e:  # noqa: BLE001 -- report every failed input
                failed += 1
                print(f"dask_features: error: {e}", file=sys.stderr)
                continue
            by_worker[worker] = by_worker.get(worker, 0) + 1
            print(f"{name}: {shapes} on {worker}")
        print(f"{len(paths) - failed} inputs in {time.time() - t0:.1f} s on {nworkers} workers: "
              + ", ".join(f"{w}: {n}" for w, n in sorted(by_worker.items())))
        return 1 if failed else 0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
