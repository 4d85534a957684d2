# ----------------------------------------------------------------------------------------------
# What every exported train.py shares (project.ts inserts this file at the train.py's COMMON
# marker, so that each project is still one file): imports, safetensors, the distributed
# helpers, the schedule, the run's own shapes, the log and the checkpoints.
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = torch.tensor([0.485, 0.456, 0.406])
STD = torch.tensor([0.229, 0.224, 0.225])

# ----------------------------------------------------------------------------------------------
# safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
# shape and byte range, then the raw little-endian data. Read and written here without the
# safetensors package.


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ValueError(f'{path}: {name} is {entry["dtype"]}; only F32 is written by the app')
        begin, end = entry['data_offsets']
        values = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32)
        tensors[name] = values.reshape(entry['shape']).clone()
    return tensors


def save_safetensors(path, tensors, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        raw = tensors[name].detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = {key: str(value) for key, value in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))
    os.replace(path + '.tmp', path)

# ----------------------------------------------------------------------------------------------
# Distributed helpers: one process per device under torchrun, or a single process.


def distributed():
    return dist_available() and torch.distributed.is_initialized()


def dist_available():
    return torch.distributed.is_available()


def world():
    return torch.distributed.get_world_size() if distributed() else 1


def rank():
    return torch.distributed.get_rank() if distributed() else 0


def all_reduce_sum(x):
    """Sum over the processes, with a gradient (for synchronised BatchNorm)."""
    if not distributed():
        return x
    from torch.distributed.nn.functional import all_reduce
    return all_reduce(x)


def all_gather_rows(x, grad):
    """[B, D] from every process stacked to [world * B, D]; `grad` keeps the autograd link."""
    if not distributed():
        return x
    if grad:
        from torch.distributed.nn.functional import all_gather
        return torch.cat(all_gather(x), 0)
    parts = [torch.empty_like(x) for _ in range(world())]
    torch.distributed.all_gather(parts, x.detach().contiguous())
    return torch.cat(parts, 0)


def cosine_at(base, final, total, warmup, step, warmup_start=0.0):
    """A linear warm-up (np.linspace: both ends included), then a half cosine to `final`
    (DINO's utils.cosine_scheduler, per step)."""
    warmup = min(warmup, total)
    if step < warmup:
        return warmup_start if warmup == 1 else warmup_start + (base - warmup_start) * step / (warmup - 1)
    steps, i = total - warmup, step - warmup
    if steps <= 0 or i >= steps:
        return final
    return final + 0.5 * (base - final) * (1 + math.cos(math.pi * i / steps))


class Shapes(torch.utils.data.Dataset):
    """The browser run's training images (shapes.safetensors: images [N, S, S, 3] in [0, 1],
    labels [N]), the same images, seed and order of generation as in the app."""

    def __init__(self, path, transform):
        tensors = load_safetensors(path)
        self.images = tensors['images'].permute(0, 3, 1, 2).contiguous()
        self.labels = tensors['labels'].long()
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), int(self.labels[i])


# ----------------------------------------------------------------------------------------------


def log(record):
    if rank() == 0:
        print(json.dumps(record), flush=True)


def checkpoint(path, model, optimizer, step, config):
    weights = {name: t.detach() for name, t in model.p.items()}
    save_safetensors(path + '.safetensors', weights, {'step': step, 'link': config.get('link', '')})
    torch.save({'step': step, 'optimizer': optimizer.state_dict()}, path + '.optimizer.pt')
