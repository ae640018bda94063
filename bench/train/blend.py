#!/usr/bin/env python3
"""Interpolates two exported photo models of the same shape, weight by weight (as WiSE-FT does
between a net and its fine-tuned copy): out = (1 - t) * a + t * b. A first-version model (with a
repeated luma layer, fewer layers) is first brought to b's shape by train.load_exported.

    python3 bench/train/blend.py --a src/local/weights/photo-x4 --b /tmp/finetuned --t 0.6 --out /tmp/blend
"""
import argparse

import torch

from train import export, load_exported


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--a', required=True)
    p.add_argument('--b', required=True)
    p.add_argument('--t', type=float, required=True)
    p.add_argument('--scale', type=int, default=4)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    b = load_exported(a.b, a.scale)
    base = load_exported(a.a, a.scale, len(b.body) - 1)
    with torch.no_grad():
        for pa, pb in zip(base.parameters(), b.parameters()):
            pb.copy_((1 - a.t) * pa + a.t * pb)
    export(b, a.out)


if __name__ == '__main__':
    main()
