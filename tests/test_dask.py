"""examples/dask_features.py on a LocalCluster of 2 worker processes (PoCL)
against a single-process run of the same inputs: the same files, the same
values. Run by `meson test dask` through tests/run_python.sh; small inputs
(3 arrays or images of 64x64, resnet18)."""
import os
import subprocess
import sys
import tempfile

import numpy as np

import clbb

SRC = os.environ["CLBB_SOURCE_DIR"]
EXAMPLE = os.path.join(SRC, "examples", "dask_features.py")


def run(*args):
    r = subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True,
                       timeout=240)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    assert r.returncode == 0, f"exit {r.returncode}"
    return r.stdout


def main():
    with tempfile.TemporaryDirectory(prefix="clbb-dask-") as t:
        inp = os.path.join(t, "in")
        os.makedirs(inp)
        rng = np.random.default_rng(0)
        for i in range(2):
            np.save(os.path.join(inp, f"a{i}.npy"), rng.uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32))
        # the third: an image when the library reads them, else a C,H,W array
        try:
            import cv2
        except ImportError:
            cv2 = None
        if clbb.has_image_support() and cv2 is not None:
            cv2.imwrite(os.path.join(inp, "b.png"), rng.uniform(0, 255, (48, 64, 3)).astype(np.uint8))
        else:
            np.save(os.path.join(inp, "b.npy"), rng.uniform(-1, 1, (3, 64, 64)).astype(np.float32))
        common = ["--arch", "resnet18", "--seed", "5", "--scale", "64x64"]
        run(inp, os.path.join(t, "ref"), "--no-dask", *common)
        out = run(inp, os.path.join(t, "dask"), "--workers", "2", *common)
        assert "on 2 workers" in out, out
        names = sorted(os.listdir(os.path.join(t, "ref")))
        assert names == ["a0", "a1", "b"], names
        for n in names:
            files = sorted(os.listdir(os.path.join(t, "ref", n)))
            assert files == [f"out{i}.npy" for i in range(4)], files
            assert sorted(os.listdir(os.path.join(t, "dask", n))) == files
            for f in files:
                a = np.load(os.path.join(t, "ref", n, f))
                b = np.load(os.path.join(t, "dask", n, f))
                assert a.shape == b.shape and np.max(np.abs(a - b)) <= 1e-6 * max(1.0, np.max(np.abs(a))), (n, f)
    print("dask example: 3 inputs on 2 workers match the single-process run")


if __name__ == "__main__":
    main()
