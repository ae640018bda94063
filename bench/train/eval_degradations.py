#!/usr/bin/env python3
"""How the photo model fares when the small image was made in other ways than the tests make it.

For each held-out photo (prepared by prepare-data.js) and each way of shrinking it, the gain in
PSNR-Y of the exported model over a true, aligned Lanczos-3 (the same definition as
bench/lib/lanczos3.js), averaged over the photos:

    python3 bench/train/eval_degradations.py --weights src/local/weights/photo-x4 --eval /tmp/eval --scale 4
"""
import argparse
import json
import os

import numpy as np
import torch

from train import degrade, jpeg, lanczos, load_exported, psnr_y


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--weights', required=True)
    p.add_argument('--eval', required=True)
    p.add_argument('--scale', type=int, default=4)
    p.add_argument('--kinds', default='sharp-cubic,bicubic-aa,bilinear-aa,area,bicubic-no-aa,jpeg-q75,noise-6')
    a = p.parse_args()
    net = load_exported(a.weights, a.scale).eval()
    index = json.load(open(os.path.join(a.eval, 'index.json')))
    torch.manual_seed(6)
    for kind in a.kinds.split(','):
        gains = []
        for im in index['images']:
            w, h = im['width'], im['height']
            hr = np.fromfile(os.path.join(a.eval, f"{im['name']}-hr.rgb"), np.uint8).reshape(h, w, 3)
            hr = torch.from_numpy(hr).permute(2, 0, 1)
            if kind in ('sharp-cubic', 'jpeg-q75', 'noise-6'):
                lr = np.fromfile(os.path.join(a.eval, f"{im['name']}-x{a.scale}.rgb"), np.uint8)
                lr = torch.from_numpy(lr.reshape(h // a.scale, w // a.scale, 3)).permute(2, 0, 1).float()
                if kind == 'jpeg-q75':
                    lr = jpeg(lr, 75)
                elif kind == 'noise-6':
                    lr = (lr + 6 * torch.randn_like(lr)).round().clamp(0, 255)
            else:
                lr = degrade(hr, a.scale, kind)
            with torch.no_grad():
                out = (net(lr[None] / 255) * 255).round().clamp(0, 255)
            truth = hr[None].float()
            gains.append(psnr_y(out, truth) - psnr_y(lanczos(lr, a.scale)[None], truth))
        print(f'{kind:14s} {np.mean(gains):+.2f} dB  [{" ".join(f"{g:+.2f}" for g in gains)}]', flush=True)


if __name__ == '__main__':
    main()
