#!/usr/bin/env python3
"""How the photo model fares when the small image was made in other ways than the tests make it.

For each held-out photo (prepared by prepare-data.js) and each way of shrinking it, the gain in
PSNR-Y of the exported model over a true, aligned Lanczos-3 (the same definition as
bench/lib/lanczos3.js), averaged over the photos:

    python3 bench/train/eval_degradations.py --weights src/local/weights/photo-x4 --eval /tmp/eval --scale 4
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from train import PhotoNet, degrade, psnr_y


def load_exported(folder, scale):
    """Rebuilds the PyTorch net from the exported TF.js layers model."""
    model = json.load(open(os.path.join(folder, 'model.json')))
    blob = open(os.path.join(folder, 'weights.bin'), 'rb').read()
    weights, offset = {}, 0
    for w in model['weightsManifest'][0]['weights']:
        n = int(np.prod(w['shape']))
        weights[w['name']] = torch.from_numpy(np.frombuffer(blob, '<f4', n, offset).copy().reshape(w['shape']))
        offset += 4 * n
    layers = model['modelTopology']['model_config']['config']['layers']
    body = [layer for layer in layers if layer['name'].startswith('body_')]
    net = PhotoNet(scale, body[0]['config']['filters'], len(body) - 1)
    kernel = lambda name: weights[f'{name}/kernel'].permute(3, 2, 0, 1)  # Keras HWIO -> torch OIHW
    with torch.no_grad():
        for i, conv in enumerate(net.body):
            conv.weight.copy_(kernel(f'body_{i}'))
            conv.bias.copy_(weights[f'body_{i}/bias'])
        net.luma.weight.copy_(kernel('luma')[::3])  # exported repeated for R, G, B
        net.luma.bias.copy_(weights['luma/bias'][::3])
        net.skip.weight.copy_(kernel('skip'))
        net.skip.bias.copy_(weights['skip/bias'])
    return net.eval()


def lanczos_matrix(n_in, n_out, a=3):
    s = n_out / n_in
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        x = (o + 0.5) / s - 0.5
        for i in range(math.floor(x) - a + 1, math.floor(x) + a + 1):
            d = x - i
            if abs(d) < a:
                m[o, min(max(i, 0), n_in - 1)] += np.sinc(d) * np.sinc(d / a)
    return m / m.sum(1, keepdims=True)


def lanczos(lr, scale):
    _, h, w = lr.shape
    rows, cols = lanczos_matrix(h, h * scale), lanczos_matrix(w, w * scale)
    return torch.from_numpy(np.stack([rows @ c @ cols.T for c in lr.numpy()])).round().clamp(0, 255)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--weights', required=True)
    p.add_argument('--eval', required=True)
    p.add_argument('--scale', type=int, default=4)
    a = p.parse_args()
    net = load_exported(a.weights, a.scale)
    index = json.load(open(os.path.join(a.eval, 'index.json')))
    for kind in ('sharp-cubic', 'bicubic-aa', 'bilinear-aa', 'area', 'bicubic-no-aa'):
        gains = []
        for im in index['images']:
            w, h = im['width'], im['height']
            hr = np.fromfile(os.path.join(a.eval, f"{im['name']}-hr.rgb"), np.uint8).reshape(h, w, 3)
            hr = torch.from_numpy(hr).permute(2, 0, 1)
            if kind == 'sharp-cubic':
                lr = np.fromfile(os.path.join(a.eval, f"{im['name']}-x{a.scale}.rgb"), np.uint8)
                lr = torch.from_numpy(lr.reshape(h // a.scale, w // a.scale, 3)).permute(2, 0, 1).float()
            else:
                lr = degrade(hr, a.scale, kind)
            with torch.no_grad():
                out = (net(lr[None] / 255) * 255).round().clamp(0, 255)
            truth = hr[None].float()
            gains.append(psnr_y(out, truth) - psnr_y(lanczos(lr, a.scale)[None], truth))
        print(f'{kind:14s} {np.mean(gains):+.2f} dB  [{" ".join(f"{g:+.2f}" for g in gains)}]', flush=True)


if __name__ == '__main__':
    main()
