#!/usr/bin/env python3
"""Trains the local engine's `photo` model: a small residual CNN for downscaled photos.

Made the weights in src/local/weights/ (not run by the build or the tests; the training is timed,
so a rerun gives close, not identical, weights):

    sh bench/train/get-photos.sh /tmp/photos                        # 27 photos from Debian packages
    node bench/train/prepare-data.js /tmp/train 4,2 /tmp/photos
    node bench/train/prepare-data.js /tmp/eval 4,2 <held-out photos, e.g. the skimage ones>
    python3 bench/train/train.py --data /tmp/train --eval /tmp/eval --scale 4 --minutes 30 \
        --out src/local/weights/photo-x4
    python3 bench/train/train.py --data /tmp/train --eval /tmp/eval --scale 2 --minutes 18 \
        --out src/local/weights/photo-x2
    python3 bench/train/eval_degradations.py --weights src/local/weights/photo-x4 --eval /tmp/eval

Needs PyTorch (Debian: python3-torch) and NumPy; runs on the CPU (2 cores here).

The net, per low-resolution pixel: a 5x5 linear filter straight from the input to every
output sub-pixel (a learned interpolator, started as nearest-neighbour), plus a ReLU conv
stack that predicts one luma correction per sub-pixel, added equally to R, G and B. The
sub-pixels are laid out as TF.js's depthToSpace does (DCR), so the exported TF.js layers
model (Conv2D, Add, PixelShuffle<r>x) goes through the same converter as the ESRGAN models.
The held-out photos are only scored (printed every 2 minutes); the weights kept are the last.
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(folder, scale):
    index = json.load(open(os.path.join(folder, 'index.json')))
    images = []
    for im in index['images']:
        w, h = im['width'], im['height']
        hr = np.fromfile(os.path.join(folder, f"{im['name']}-hr.rgb"), np.uint8).reshape(h, w, 3)
        lr = np.fromfile(os.path.join(folder, f"{im['name']}-x{scale}.rgb"), np.uint8)
        images.append((torch.from_numpy(lr.reshape(h // scale, w // scale, 3)).permute(2, 0, 1),
                       torch.from_numpy(hr).permute(2, 0, 1), im['source']))
    return images


def depth_to_space_dcr(x, r):
    n, c, h, w = x.shape
    return x.view(n, r, r, c // (r * r), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (r * r), h * r, w * r)


class PhotoNet(nn.Module):
    def __init__(self, scale, channels, depth):
        super().__init__()
        self.scale = scale
        layers = [nn.Conv2d(3, channels, 3, padding=1)]
        for _ in range(depth):
            layers.append(nn.Conv2d(channels, channels, 3, padding=1))
        self.body = nn.ModuleList(layers)
        self.luma = nn.Conv2d(channels, scale * scale, 3, padding=1)
        self.skip = nn.Conv2d(3, 3 * scale * scale, 5, padding=2)
        with torch.no_grad():
            nn.init.zeros_(self.luma.weight)
            nn.init.zeros_(self.luma.bias)
            self.skip.weight.zero_()
            self.skip.bias.zero_()
            for k in range(scale * scale):
                for c in range(3):
                    self.skip.weight[k * 3 + c, c, 2, 2] = 1.0

    def forward(self, x):
        y = x
        for conv in self.body:
            y = F.relu(conv(y))
        y = self.skip(x) + self.luma(y).repeat_interleave(3, dim=1)
        return depth_to_space_dcr(y, self.scale)


def luma(rgb):  # rgb in 0..255, N x 3 x H x W
    return 16 + (65.481 * rgb[:, 0] + 128.553 * rgb[:, 1] + 24.966 * rgb[:, 2]) / 255


def psnr_y(a, b, border=4):
    d = (luma(a) - luma(b))[:, border:-border, border:-border]
    return 10 * math.log10(255 ** 2 / float((d ** 2).mean()))


def evaluate(net, images):
    net.eval()
    scores = []
    with torch.no_grad():
        for lr, hr, _ in images:
            out = net(lr[None].float() / 255)
            out = (out * 255).round().clamp(0, 255)
            scores.append(psnr_y(out, hr[None].float()))
    net.train()
    return scores


# How the low-resolution half of a training pair is made, and how often. Mostly as the tests
# degrade their photos (sharp's antialiased cubic reduction, precomputed by prepare-data.js); the
# rest teaches the net not to over-sharpen inputs that were shrunk differently (aliased bicubic
# as OpenCV does it, box averaging, torch's antialiased bicubic and bilinear).
DEGRADATIONS = (('sharp-cubic', 0.55), ('bicubic-aa', 0.1), ('bilinear-aa', 0.05),
                ('bicubic-no-aa', 0.2), ('area', 0.1))


def degrade(hr, scale, kind):
    x = hr[None].float()
    if kind == 'area':
        y = F.avg_pool2d(x, scale)
    else:
        mode, aa = kind.split('-', 1)
        y = F.interpolate(x, scale_factor=1 / scale, mode=mode, antialias=aa == 'aa', align_corners=False)
    return y.round().clamp(0, 255)[0]


def batches(images, scale, patch, size, mix):
    weights = [math.sqrt(lr.shape[1] * lr.shape[2]) for lr, _, _ in images]
    kinds, odds = zip(*DEGRADATIONS) if mix else (('sharp-cubic',), (1,))
    while True:
        lrs, hrs = [], []
        for _ in range(size):
            lr, hr, _ = random.choices(images, weights)[0]
            y = random.randrange(lr.shape[1] - patch + 1)
            x = random.randrange(lr.shape[2] - patch + 1)
            b = hr[:, y * scale:(y + patch) * scale, x * scale:(x + patch) * scale]
            kind = random.choices(kinds, odds)[0]
            a = lr[:, y:y + patch, x:x + patch].float() if kind == 'sharp-cubic' else degrade(b, scale, kind)
            k = random.randrange(4)
            a, b = torch.rot90(a, k, (1, 2)), torch.rot90(b, k, (1, 2))
            if random.random() < 0.5:
                a, b = a.flip(2), b.flip(2)
            lrs.append(a)
            hrs.append(b)
        yield torch.stack(lrs) / 255, torch.stack(hrs).float() / 255


def export(net, out_dir):
    """Writes a TF.js layers model (model.json + one float32 shard) the build converts to ONNX."""
    os.makedirs(out_dir, exist_ok=True)
    r = net.scale
    layers = [{'class_name': 'InputLayer', 'name': 'input', 'inbound_nodes': [],
               'config': {'name': 'input', 'batch_input_shape': [None, None, None, 3], 'dtype': 'float32'}}]
    weights, blobs = [], []

    def conv(name, source, w, b, activation):
        w = w.detach().float().permute(2, 3, 1, 0).contiguous()  # torch OIHW -> Keras HWIO
        layers.append({'class_name': 'Conv2D', 'name': name, 'inbound_nodes': [[[source, 0, 0, {}]]],
                       'config': {'name': name, 'filters': w.shape[3], 'kernel_size': [w.shape[0], w.shape[1]],
                                  'strides': [1, 1], 'padding': 'same', 'data_format': 'channels_last',
                                  'dilation_rate': [1, 1], 'groups': 1, 'activation': activation,
                                  'use_bias': True}})
        for suffix, t in (('kernel', w), ('bias', b.detach().float())):
            weights.append({'name': f'{name}/{suffix}', 'shape': list(t.shape), 'dtype': 'float32'})
            blobs.append(t.numpy().astype('<f4').tobytes())

    source = 'input'
    for i, c in enumerate(net.body):
        conv(f'body_{i}', source, c.weight, c.bias, 'relu')
        source = f'body_{i}'
    # The luma correction, repeated for R, G and B (DCR channel = sub-pixel * 3 + colour).
    conv('luma', source, net.luma.weight.repeat_interleave(3, dim=0), net.luma.bias.repeat_interleave(3), 'linear')
    conv('skip', 'input', net.skip.weight, net.skip.bias, 'linear')
    layers.append({'class_name': 'Add', 'name': 'sum', 'config': {'name': 'sum'},
                   'inbound_nodes': [[['skip', 0, 0, {}], ['luma', 0, 0, {}]]]})
    layers.append({'class_name': f'PixelShuffle{r}x', 'name': 'shuffle', 'config': {'name': 'shuffle'},
                   'inbound_nodes': [[['sum', 0, 0, {}]]]})
    model = {'format': 'layers-model', 'generatedBy': 'upscale bench/train/train.py',
             'modelTopology': {'model_config': {'class_name': 'Model', 'config': {
                 'layers': layers, 'input_layers': [['input', 0, 0]], 'output_layers': [['shuffle', 0, 0]]}}},
             'weightsManifest': [{'paths': ['weights.bin'], 'weights': weights}]}
    with open(os.path.join(out_dir, 'weights.bin'), 'wb') as f:
        f.write(b''.join(blobs))
    with open(os.path.join(out_dir, 'model.json'), 'w') as f:
        json.dump(model, f, indent=1)
        f.write('\n')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--eval', required=True)
    p.add_argument('--scale', type=int, default=4)
    p.add_argument('--channels', type=int, default=32)
    p.add_argument('--depth', type=int, default=8)
    p.add_argument('--patch', type=int, default=48)
    p.add_argument('--batch', type=int, default=16)
    p.add_argument('--minutes', type=float, default=40)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--no-mix', action='store_true', help='train on sharp-cubic pairs only')
    p.add_argument('--out', required=True)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    torch.set_num_threads(a.threads)
    train, held = load(a.data, a.scale), load(a.eval, a.scale)
    net = PhotoNet(a.scale, a.channels, a.depth)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    print(f'{len(train)} training photos, {len(held)} held out; '
          f'{sum(p.numel() for p in net.parameters())} parameters', flush=True)
    start, last_eval, step = time.time(), 0.0, 0
    budget = a.minutes * 60
    for lr_batch, hr_batch in batches(train, a.scale, a.patch, a.batch, not a.no_mix):
        done = (time.time() - start) / budget
        if done >= 1:
            break
        for g in opt.param_groups:  # cosine decay over the time budget
            g['lr'] = a.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * done)))
        loss = F.l1_loss(net(lr_batch), hr_batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if time.time() - last_eval > 120 or step == 1:
            last_eval = time.time()
            scores = evaluate(net, held)
            mean = sum(scores) / len(scores)
            print(f'{(time.time() - start) / 60:5.1f} min step {step} loss {loss.item():.4f} '
                  f'held-out PSNR-Y {mean:.3f} [{" ".join(f"{s:.2f}" for s in scores)}]', flush=True)
            export(net, a.out)  # the latest weights, so a stopped run leaves something usable
    scores = evaluate(net, held)
    mean = sum(scores) / len(scores)
    print(f'end: step {step} held-out PSNR-Y {mean:.3f} [{" ".join(f"{s:.2f}" for s in scores)}]', flush=True)
    export(net, a.out)


if __name__ == '__main__':
    main()
