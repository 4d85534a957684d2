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


def load_safetensors(path, metadata=False):
    """The tensors by name (and the header's metadata strings, with metadata=True)."""
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
    return (tensors, header.get('__metadata__', {})) if metadata else tensors


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
        tensors, metadata = load_safetensors(path, metadata=True)
        self.images = tensors['images'].permute(0, 3, 1, 2).contiguous()
        self.labels = tensors['labels'].long()
        self.classes = metadata['classes'].split(',') if 'classes' in metadata else sorted(set(self.labels.tolist()))
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), int(self.labels[i])


# ----------------------------------------------------------------------------------------------
# A method's tensors and optimisers.


class Weights:
    """Every tensor of a method in one dict `p`, by its browser name (so weights.safetensors and
    the checkpoints load and save without conversion), on `self.device`. A method says which of
    them the optimiser trains (`trains`); the rest (an EMA teacher, a center) do not need grads."""

    def trains(self, name):
        return True

    def load(self, weights):
        self.p = dict(weights)
        self.to_device()

    def to_device(self):
        for name in self.p:
            self.p[name] = self.p[name].to(self.device).requires_grad_(self.trains(name))

    @torch.no_grad()
    def ema_update(self, momentum, online, target):
        """xi <- m xi + (1 - m) theta for every `target`-prefixed tensor, from its `online` twin."""
        for name in self.p:
            if name.startswith(target):
                self.p[name].mul_(momentum).add_(self.p[online + name[len(target):]].detach(), alpha=1 - momentum)


def adamw(params, weight_decay, betas=(0.9, 0.999)):
    """AdamW (torch's: the same update as the browser's), weight decay on tensors of rank >= 2
    only; `params` by name, in sorted order (the optimiser's state lists them so: see --resume)."""
    decay = [t for t in params.values() if t.ndim >= 2]
    rest = [t for t in params.values() if t.ndim < 2]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': weight_decay}, {'params': rest, 'weight_decay': 0.0}],
                             lr=0.0, betas=betas, eps=1e-8)


class Stages:
    """A staged method's optimisers, one per stage (as the browser's: each its own moments and
    step count), checkpointed together."""

    def __init__(self, optimizers):
        self.optimizers = optimizers

    def state_dict(self):
        return {stage: o.state_dict() for stage, o in self.optimizers.items()}

    def load_state_dict(self, state):
        for stage, o in self.optimizers.items():
            o.load_state_dict(state[stage])


# ----------------------------------------------------------------------------------------------


def log(record):
    if rank() == 0:
        print(json.dumps(record), flush=True)


def saved(model):
    """Every tensor a checkpoint keeps, by its browser name: the weights, and any state a method
    keeps beside them (MoCo v2's queue)."""
    state = model.state() if hasattr(model, 'state') else {}
    return {name: t.detach() for name, t in {**model.p, **state}.items()}


def checkpoint(path, model, optimizer, step, config):
    weights = saved(model)
    save_safetensors(path + '.safetensors', weights, {'step': step, 'link': config.get('link', '')})
    torch.save({'step': step, 'optimizer': optimizer.state_dict()}, path + '.optimizer.pt')


# ----------------------------------------------------------------------------------------------
# The command line and the training loop every method shares. A method's file hands main() a
# Recipe: how to build its model and optimiser, its per-image augmentation, one training step on
# a loaded batch, and one parity step on inputs the browser dumped.


class Recipe:
    def __init__(self, model, make_optimizer, transform, train, parity_step, lr_note, labelled=False):
        self.model = model                    # (config, device) -> .v, .p, init(seed), load(weights), trainable()
        self.make_optimizer = make_optimizer  # (model, values) -> a torch optimiser
        self.transform = transform            # (values, tensors) -> image -> what the loader batches
        self.train = train                    # (model, optimizer, batch, device, step, global_batch, total_steps) -> log record
        self.parity_step = parity_step        # (model, optimizer, inputs, i, step) -> loss
        self.lr_note = lr_note                # (values, global_batch) -> the banner's learning-rate words
        self.labelled = labelled              # train() gets (images, labels) as its batch (a supervised stage)


def loader(args, v, batch_per_process, transform):
    from torchvision import datasets
    if args.data == 'fake':  # random images of the configured size: a smoke test, or to measure memory
        size = int(v['imageSize'])
        data = datasets.FakeData(size=max(1024, 4 * batch_per_process * world()), image_size=(3, size, size), num_classes=10,
                                 transform=transform(v, False), random_offset=int(v['seed']))
        data.classes = [str(c) for c in range(10)]
    elif args.data == 'shapes':
        path = os.path.join(HERE, 'shapes.safetensors')
        if not os.path.exists(path):
            raise SystemExit('--data shapes needs shapes.safetensors, which the export writes for runs on the built-in shapes')
        data = Shapes(path, transform(v, True))
    else:
        data = datasets.ImageFolder(args.data, transform=transform(v, False))
    sampler = torch.utils.data.distributed.DistributedSampler(data, seed=int(v['seed'])) if distributed() else None
    return torch.utils.data.DataLoader(data, batch_size=batch_per_process, sampler=sampler, shuffle=sampler is None,
                                       drop_last=True, num_workers=args.workers, persistent_workers=args.workers > 0), sampler


def average_gradients(model):
    """DDP's rule by hand (the parameters live in a dict, not a module): average the gradients."""
    if distributed():
        for t in model.trainable().values():
            if t.grad is not None:
                torch.distributed.all_reduce(t.grad)
                t.grad /= world()


def main(recipe, doc, argv=None):
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('--data', help="an ImageFolder directory, 'shapes' (the browser run's images) or 'fake' (random images)")
    parser.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    parser.add_argument('--weights', default=os.path.join(HERE, 'weights.safetensors'), help='start from these weights (if the file exists)')
    parser.add_argument('--steps', type=int, help='total steps (default: the config\'s)')
    parser.add_argument('--batch-size', type=int, help='global batch size (default: the config\'s), split over the processes')
    parser.add_argument('--out', default='out', help='where checkpoints go')
    parser.add_argument('--checkpoint-every', type=int, default=500)
    parser.add_argument('--resume', action='store_true', help='continue from --out/last.safetensors')
    parser.add_argument('--log-every', type=int, default=10)
    parser.add_argument('--workers', type=int, default=2, help='data-loading processes per training process')
    parser.add_argument('--memory', action='store_true', help='count each step\'s tensors kept for the backward pass (slower)')
    parser.add_argument('--parity', help=argparse.SUPPRESS)  # the app's test: steps on what the browser drew
    args = parser.parse_args(argv)
    with open(args.config) as f:
        config = json.load(f)
    if args.parity:
        return parity(recipe, args.parity, config)
    if not args.data:
        parser.error('--data DIR (an ImageFolder tree), --data shapes or --data fake is required')

    if 'RANK' in os.environ and 'WORLD_SIZE' in os.environ:  # started by torchrun
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        torch.distributed.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)))
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    v = config['values']
    total_steps = args.steps or int(v['totalSteps'])
    global_batch = args.batch_size or int(v['batchSize'])
    if global_batch % world() != 0:
        raise SystemExit(f'--batch-size {global_batch} does not split over {world()} processes')
    torch.manual_seed(int(v['seed']) + rank())

    data, sampler = loader(args, v, global_batch // world(), recipe.transform)
    config = {**config, 'classes': len(data.dataset.classes)}  # the data's, for a supervised stage's classifier
    model = recipe.model(config, device)
    start = 0
    last = os.path.join(args.out, 'last')
    if args.resume and os.path.exists(last + '.safetensors'):
        model.load(load_safetensors(last + '.safetensors'))
    elif args.weights and os.path.exists(args.weights):
        model.load(load_safetensors(args.weights))
        start = int(config.get('step', 0))
    else:
        model.init(int(v['seed']))  # every process draws the same weights from the seed
    optimizer = recipe.make_optimizer(model, v)
    if args.resume and os.path.exists(last + '.optimizer.pt'):
        state = torch.load(last + '.optimizer.pt', map_location=device)
        optimizer.load_state_dict(state['optimizer'])
        start = int(state['step'])
    os.makedirs(args.out, exist_ok=True)
    if rank() == 0:
        print(f'{config["title"]}: {world()} process(es) on {device}, global batch {global_batch}, '
              f'{recipe.lr_note(v, global_batch)}, steps {start}..{total_steps}', file=sys.stderr)

    # The log's first line says what it is a log of: the app imports it as a run (Import…).
    # The values are the run's (--batch-size replaces the config's; --steps is `totalSteps`).
    log({'config': {**{key: config[key] for key in ('methodId', 'title', 'link')}, 'values': {**v, 'batchSize': global_batch}},
         'world': world(), 'globalBatch': global_batch, 'totalSteps': total_steps, 'device': str(device)})
    step, epoch, started, activations = start, 0, time.time(), 0
    while step < total_steps:
        if sampler is not None:
            sampler.set_epoch(epoch)
        for batch, labels in data:
            if step >= total_steps:
                break
            if recipe.labelled:
                batch = (batch, labels)
            if args.memory:
                with SavedForBackward(model) as saved_bytes:
                    record = recipe.train(model, optimizer, batch, device, step, global_batch, total_steps)
                activations = max(activations, saved_bytes.total)
            else:
                record = recipe.train(model, optimizer, batch, device, step, global_batch, total_steps)
            step += 1
            if step % args.log_every == 0 or step == total_steps or step == start + 1:
                log({'step': step, **{k: float(x) for k, x in record.items()}, 'stepsPerSecond': (step - start) / max(time.time() - started, 1e-9)})
            if step % args.checkpoint_every == 0 or step == total_steps:
                if rank() == 0:
                    checkpoint(last, model, optimizer, step, config)
                if distributed():
                    torch.distributed.barrier()
        epoch += 1
    # Every process says what it holds (under DDP the weights must be identical on every rank)
    # and the most memory it used: CUDA's peak allocation, or on the CPU the process's peak size.
    with torch.no_grad():
        flat = torch.cat([t.reshape(-1).double().cpu() for _, t in sorted(saved(model).items())])
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device) / 2 ** 20
    else:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    # One write, so the lines of two processes sharing a pipe do not interleave.
    end = {'rank': rank(), 'world': world(), 'steps': step, 'checksum': [float(flat.sum()), float((flat ** 2).sum())],
           'device': device.type, 'peakMemoryMiB': round(peak, 1)}
    if args.memory:
        # The state a GPU holds throughout (every tensor, and each trained one's gradient and two
        # Adam moments) and the most a step kept for its backward pass (the activations).
        trained = sum(t.numel() for t in model.trainable().values()) if hasattr(model, 'trainable') else 0
        end['stateMiB'] = round((sum(t.numel() for t in saved(model).values()) + 3 * trained) * 4 / 2 ** 20, 1)
        end['activationsMiB'] = round(activations / 2 ** 20, 1)
    sys.stderr.write(json.dumps(end) + '\n')
    sys.stderr.flush()
    if distributed():
        torch.distributed.destroy_process_group()


def storage(t):
    return t.untyped_storage() if hasattr(t, 'untyped_storage') else t.storage()


class SavedForBackward:
    """Counts the bytes of the tensors autograd keeps for the backward pass while it is open
    (each storage once, the model's own weights left out): the activation memory of a step."""

    def __init__(self, model):
        self.weights = {storage(t).data_ptr() for t in saved(model).values()}

    def __enter__(self):
        self.total, self.seen = 0, set(self.weights)

        def pack(t):
            if storage(t).data_ptr() not in self.seen:
                self.seen.add(storage(t).data_ptr())
                self.total += storage(t).nbytes()
            return t

        self.hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        self.hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self.hooks.__exit__(*exc)


def nchw(inputs, name):
    """A tensor the browser dumped as NHWC, as torch's NCHW."""
    return inputs[name].permute(0, 3, 1, 2).contiguous()


def parity(recipe, directory, config):
    """Steps on what the browser drew (views, crops, noise, masks), from the browser's weights:
    writes the losses and the weights after each step for the app's parity test to compare."""
    torch.manual_seed(0)
    model = recipe.model(config, torch.device('cpu'))
    model.load(load_safetensors(os.path.join(directory, 'before.safetensors')))
    inputs = load_safetensors(os.path.join(directory, 'inputs.safetensors'))
    with open(os.path.join(directory, 'step.json')) as f:
        meta = json.load(f)
    optimizer = recipe.make_optimizer(model, model.v)
    losses = []
    for i, step in enumerate(meta['steps']):
        losses.append(float(recipe.parity_step(model, optimizer, inputs, i, step)))
        save_safetensors(os.path.join(directory, f'after.{i}.torch.safetensors'), saved(model))
    with open(os.path.join(directory, 'losses.torch.json'), 'w') as f:
        json.dump(losses, f)
