#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (one folder per class; the labels are not used for training), or
`shapes`: the browser run's own training images (shapes.safetensors, when it trained on them).
Only torch and torchvision are needed (any version from 1.13 on). config.json holds the
experiment; weights.safetensors, when present, the browser's weights (online and target), so
training continues where the browser stopped.

What the step computes, with the papers' equations (the same as the app's TypeScript, which
cites the official code):
  SimCLR  L = NT-Xent(z1, z2) + NT-Xent(z2, z1), cosine similarity / tau, the other 2B-2 views
          as negatives (google-research/simclr objective.py: the two directions are added).
  MoCo v3 L = ctr(q1, k2) + ctr(q2, k1), ctr = CE(q k^T / tau, diag) * 2 tau; keys from the
          momentum encoder, no gradient (facebookresearch/moco-v3 builder.py).
  MoCo v2 (a queue of K keys) L = CE([q.k, q queue^T] / tau, 0) per direction; after the step
          the step's keys (both views, every process) overwrite the oldest K-queue rows
          (facebookresearch/moco builder.py).
  BYOL    L = (2 - 2 cos(p1, z2')) + (2 - 2 cos(p2, z1')), z' from the EMA target
          (deepmind-research/byol regression_loss).
  SimSiam L = -(cos(p1, sg(z2)) + cos(p2, sg(z1))) / 2 (facebookresearch/simsiam).
  EMA     xi <- m xi + (1 - m) theta, m from the base momentum to 1 on a half cosine.
  lr      peak = lr * global batch / 256 (the papers' linear scaling rule), a linear warm-up
          from 0 then a half cosine to 0; AdamW, weight decay on tensors of rank >= 2 only.
          fixPredictorLr (SimSiam's --fix-pred-lr): the predictor stays at the peak lr.

Weights keep the browser's names and layouts (a convolution kernel is [kh, kw, in, out], a
linear weight [in, out]), so weights.safetensors loads and saves without conversion.
"""
# {{COMMON}}

# ----------------------------------------------------------------------------------------------
# The networks, as functions of a dict of tensors named as in the browser.


def batch_norm(x, gamma=None, beta=None, eps=1e-5):
    """BatchNorm in training mode over dim 0 (batch statistics, biased variance, eps 1e-5 as
    torch). Under DDP the statistics are those of the global batch (SyncBatchNorm's rule)."""
    count = torch.tensor(float(x.shape[0]), device=x.device)
    total = all_reduce_sum(torch.stack([count]))[0] if distributed() else count
    mean = all_reduce_sum(x.sum(0)) / total
    var = all_reduce_sum(((x - mean) ** 2).sum(0)) / total
    y = (x - mean) / torch.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma + beta
    return y


def conv_same(x, kernel, stride):
    """TensorFlow's 'same' padding (the browser's tfjs): for stride 2 on an even size it pads
    one pixel after, none before, which torch's symmetric padding does not do."""
    k = kernel.shape[0]
    pads = []
    for size in (x.shape[3], x.shape[2]):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    x = F.pad(x, pads)
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), stride=stride)


def cnn_channels(width, stages):
    sizes = [max(8, round(width / 2 ** (stages - 1 - i))) for i in range(stages)]
    return [sizes[0]] + sizes


def cnn_forward(p, prefix, images):
    """images [N, 3, S, S] normalised -> features [N, width]: a stride-1 stem, then stride-2
    3x3 convolutions with BatchNorm and ReLU, then global average pooling."""
    h = images
    i = 0
    while f'{prefix}convs.{i}.kernel' in p:
        h = conv_same(h, p[f'{prefix}convs.{i}.kernel'], 1 if i == 0 else 2)
        n, c, height, width = h.shape
        flat = h.permute(0, 2, 3, 1).reshape(-1, c)
        flat = batch_norm(flat, p[f'{prefix}convs.{i}.gamma'], p[f'{prefix}convs.{i}.beta'])
        h = F.relu(flat.reshape(n, height, width, c).permute(0, 3, 1, 2))
        i += 1
    return h.mean(dim=(2, 3))


# {{VIT}}


def mlp_forward(p, prefix, layers, x):
    """Linear, then BatchNorm ('affine': learnable scale and shift, 'plain': none), then ReLU."""
    for i, layer in enumerate(layers):
        x = x @ p[f'{prefix}layers.{i}.linear.weight'] + p[f'{prefix}layers.{i}.linear.bias']
        if layer['batchNorm'] == 'affine':
            x = batch_norm(x, p[f'{prefix}layers.{i}.gamma'], p[f'{prefix}layers.{i}.beta'])
        elif layer['batchNorm'] == 'plain':
            x = batch_norm(x)
        if layer['relu']:
            x = F.relu(x)
    return x


def head_layers(variant, hidden, out):
    block = {'out': hidden, 'batchNorm': 'affine', 'relu': True}
    last = {'out': out, 'batchNorm': 'none' if variant == 'byol' else 'plain', 'relu': False}
    return [block, block, last] if variant in ('moco', 'simsiam') else [block, last]


def predictor_layers(variant, hidden, out):
    return [{'out': hidden, 'batchNorm': 'affine', 'relu': True},
            {'out': out, 'batchNorm': 'plain' if variant == 'moco' else 'none', 'relu': False}]


class Lineage(Weights):
    """The method's networks and step. `p` holds every tensor by its browser name:
    online.backbone.*, online.projector.*, online.predictor.* (trained) and target.* (EMA)."""

    def __init__(self, config, device):
        v = config['values']
        self.variant = config['methodId']
        self.v = v
        self.device = device
        self.projector = head_layers(self.variant, int(v['projectorHidden']), int(v['projectorOut']))
        has_predictor = self.variant != 'simclr' and v.get('predictor', True)
        self.predictor = predictor_layers(self.variant, int(v['predictorHidden']), int(v['projectorOut'])) if has_predictor else None
        self.momentum_encoder = self.variant in ('moco', 'byol') and v.get('momentumEncoder', True)
        self.queue_size = int(v.get('queueSize', 0) or 0) if self.variant == 'moco' else 0
        self.queue = None  # MoCo v2's keys [K, D], unit rows (no gradient)
        self.queue_position = 0
        self.keys = None
        self.p = {}

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers): Kaiming-normal
        convolutions, trunc-normal(0.02) linear layers, BatchNorm scale 1 and shift 0."""
        torch.manual_seed(seed)
        v = self.v

        def trunc(shape, std):
            return torch.nn.init.trunc_normal_(torch.empty(shape), std=std, a=-2 * std, b=2 * std)

        width = int(v['width'])
        if v.get('backbone', 'vit') == 'cnn':
            inputs = 3
            for i, out in enumerate(cnn_channels(width, int(v['depth']))):
                self.p[f'online.backbone.convs.{i}.kernel'] = trunc([3, 3, inputs, out], math.sqrt(2 / (9 * inputs)))
                self.p[f'online.backbone.convs.{i}.gamma'] = torch.ones(out)
                self.p[f'online.backbone.convs.{i}.beta'] = torch.zeros(out)
                inputs = out
        else:
            patch, hidden = int(v['patchSize']), int(v['mlpRatio']) * width
            bound = 1 / math.sqrt(patch * patch * 3)  # the patch conv keeps torch's default init (DINO)
            self.p['online.backbone.patchEmbed.kernel'] = torch.empty(patch, patch, 3, width).uniform_(-bound, bound)
            self.p['online.backbone.patchEmbed.bias'] = torch.empty(width).uniform_(-bound, bound)
            self.p['online.backbone.clsToken'] = trunc([1, 1, width], 0.02)
            self.p['online.backbone.positionEmbedding'] = trunc([1, 1 + (int(v['imageSize']) // patch) ** 2, width], 0.02)
            for i in range(int(v['depth'])):
                b = f'online.backbone.blocks.{i}.'
                for name, shape in (('qkv', (width, 3 * width)), ('proj', (width, width)), ('fc1', (width, hidden)), ('fc2', (hidden, width))):
                    self.p[b + name + '.weight'] = trunc(list(shape), 0.02)
                    self.p[b + name + '.bias'] = torch.zeros(shape[1])
                for norm in ('norm1', 'norm2'):
                    self.p[b + norm + '.gamma'], self.p[b + norm + '.beta'] = torch.ones(width), torch.zeros(width)
            self.p['online.backbone.norm.gamma'], self.p['online.backbone.norm.beta'] = torch.ones(width), torch.zeros(width)
        for name, layers, width in (('projector', self.projector, int(v['width'])),
                                    ('predictor', self.predictor or [], int(v['projectorOut']))):
            for i, layer in enumerate(layers):
                self.p[f'online.{name}.layers.{i}.linear.weight'] = trunc([width, layer['out']], 0.02)
                self.p[f'online.{name}.layers.{i}.linear.bias'] = torch.zeros(layer['out'])
                if layer['batchNorm'] == 'affine':
                    self.p[f'online.{name}.layers.{i}.gamma'] = torch.ones(layer['out'])
                    self.p[f'online.{name}.layers.{i}.beta'] = torch.zeros(layer['out'])
                width = layer['out']
        if self.momentum_encoder:
            for name in list(self.p):
                if not name.startswith('online.predictor.'):
                    self.p['target.' + name[len('online.'):]] = self.p[name].clone()
        if self.queue_size:  # random unit vectors, as MoCo v2 starts its queue
            self.queue = F.normalize(torch.randn(self.queue_size, int(v['projectorOut'])), dim=1)
        self.to_device()

    def load(self, weights):
        self.p = {name: tensor for name, tensor in weights.items() if name != 'queue'}
        if self.queue_size:
            if 'queue' not in weights or weights['queue'].shape[0] != self.queue_size:
                raise SystemExit(f'the weights hold no queue of {self.queue_size} keys: start without --weights, or set the queue size the run had')
            self.queue = weights['queue']
        self.queue_position = 0  # as the browser: a loaded run writes from the queue's start
        self.to_device()

    def state(self):
        return {'queue': self.queue} if self.queue is not None else {}

    def trains(self, name):
        return name.startswith('online.')

    def to_device(self):
        super().to_device()
        if self.queue is not None:
            self.queue = self.queue.to(self.device)

    def trainable(self):
        # Sorted by name: the optimiser's state lists parameters in this order, so a resumed
        # run (weights loaded from a file) must see the same order as a fresh one.
        return {name: self.p[name] for name in sorted(self.p) if name.startswith('online.')}

    def project(self, prefix, views, B):
        """Projections of both views; the heads run per view, so BatchNorm sees one view's batch."""
        if self.v.get('backbone', 'vit') == 'cnn':
            features = cnn_forward(self.p, prefix + 'backbone.', views)
        else:
            features = vit_forward(self.p, prefix + 'backbone.', views, self.v)
        f1, f2 = features[:B], features[B:]
        return mlp_forward(self.p, prefix + 'projector.', self.projector, f1), mlp_forward(self.p, prefix + 'projector.', self.projector, f2)

    def predict(self, z):
        return mlp_forward(self.p, 'online.predictor.', self.predictor, z) if self.predictor else z

    def loss(self, views):
        """views [2B, 3, S, S]: view 1 of every image, then view 2."""
        B = views.shape[0] // 2
        tau = float(self.v.get('temperature', 1))
        if self.momentum_encoder:
            with torch.no_grad():
                t1, t2 = self.project('target.', views, B)
        z1, z2 = self.project('online.', views, B)
        if not self.momentum_encoder:
            t1, t2 = z1.detach(), z2.detach()
        p1, p2 = self.predict(z1), self.predict(z2)
        if self.variant == 'simclr':
            return nt_xent(z1, z2, tau)
        if self.variant == 'moco' and self.queue is not None:
            # Enqueued after the step; as in the app, only keys of a momentum encoder are.
            self.keys = torch.cat([t1, t2], 0).detach() if self.momentum_encoder else None
            return moco_queue(p1, t2, self.queue, tau) + moco_queue(p2, t1, self.queue, tau)
        if self.variant == 'moco':
            return moco_v3(p1, t2, tau) + moco_v3(p2, t1, tau)
        if self.variant == 'byol':
            return byol_regression(p1, t2) + byol_regression(p2, t1)
        stop = self.v.get('stopGradient', True)
        return 0.5 * (negative_cosine(p1, z2, stop) + negative_cosine(p2, z1, stop))

    def ema(self, momentum):
        self.ema_update(momentum, 'online.', 'target.')


    @torch.no_grad()
    def enqueue(self):
        """MoCo v2's FIFO (builder.py _dequeue_and_enqueue): this step's keys of every process,
        unit vectors, written over the oldest."""
        keys = all_gather_rows(F.normalize(self.keys, dim=1), grad=False)
        n = keys.shape[0]
        if self.queue_size % n != 0:
            raise SystemExit(f'the queue ({self.queue_size}) must be a multiple of the {n} keys a step enqueues (2 x the global batch)')
        self.queue[self.queue_position:self.queue_position + n] = keys
        self.queue_position = (self.queue_position + n) % self.queue_size


def nt_xent(z1, z2, tau):
    """Both directions; the negatives of an image are every other view of the global batch."""
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    B = a.shape[0]
    all_a, all_b = all_gather_rows(a, grad=True), all_gather_rows(b, grad=True)
    labels = torch.arange(B, device=a.device) + rank() * B
    large = 1e9
    mask = torch.zeros(B, all_a.shape[0], device=a.device)
    mask[torch.arange(B), labels] = large
    loss_a = F.cross_entropy(torch.cat([a @ all_b.T / tau, a @ all_a.T / tau - mask], 1), labels)
    loss_b = F.cross_entropy(torch.cat([b @ all_a.T / tau, b @ all_b.T / tau - mask], 1), labels)
    return loss_a + loss_b


def moco_v3(q, k, tau):
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    keys = all_gather_rows(k.detach(), grad=False)
    labels = torch.arange(q.shape[0], device=q.device) + rank() * q.shape[0]
    return F.cross_entropy(q @ keys.T / tau, labels) * 2 * tau


def moco_queue(q, k, queue, tau):
    """MoCo v2's InfoNCE: the positive q.k first, then the queue's keys as negatives, / tau."""
    q, k = F.normalize(q, dim=1), F.normalize(k.detach(), dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], 1) / tau
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long, device=q.device))


def byol_regression(p, z):
    return (2 - 2 * (F.normalize(p, dim=1) * F.normalize(z.detach(), dim=1)).sum(1)).mean()


def negative_cosine(p, z, stop=True):
    target = F.normalize(z.detach() if stop else z, dim=1)
    return -(F.normalize(p, dim=1) * target).sum(1).mean()

# ----------------------------------------------------------------------------------------------
# Schedules and the optimiser.


def schedule(v, step, global_batch, total_steps):
    peak = float(v['learningRate']) * global_batch / 256
    lr = cosine_at(peak, 0.0, total_steps, int(v['warmupSteps']), step)
    momentum = cosine_at(float(v.get('momentum', 0.99)), 1.0, total_steps, 0, step)
    return lr, momentum, peak


def make_optimizer(model, v):
    """AdamW (torch's, the same update as the browser's), weight decay on rank >= 2 only; with
    fixPredictorLr the predictor's parameters form groups of their own, marked fix_lr."""
    params = model.trainable()
    if not (model.predictor and v.get('fixPredictorLr', False)):
        return adamw(params, float(v['weightDecay']))
    predictor = {name: t for name, t in params.items() if name.startswith('online.predictor.')}
    optimizer = adamw({name: t for name, t in params.items() if name not in predictor}, float(v['weightDecay']))
    for group in adamw(predictor, float(v['weightDecay'])).param_groups:
        optimizer.add_param_group({'params': group['params'], 'weight_decay': group['weight_decay'], 'fix_lr': True})
    return optimizer


def train_step(model, optimizer, views, step, global_batch, total_steps):
    lr, momentum, peak = schedule(model.v, step, global_batch, total_steps)
    for group in optimizer.param_groups:
        group['lr'] = peak if group.get('fix_lr') else lr
    loss = model.loss(views)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(model)
    optimizer.step()
    if model.momentum_encoder:
        model.ema(momentum)
    if model.queue is not None and model.keys is not None:
        model.enqueue()
    return loss.detach(), lr, momentum

# ----------------------------------------------------------------------------------------------
# Data and augmentations (torchvision's, with the app's settings: the same distributions, not
# the same random numbers).


def augmentation(v, tensors=False):
    """`tensors`: the inputs are already float tensors [3, S, S] in [0, 1] (--data shapes)."""
    from torchvision import transforms as T
    size = int(v['imageSize'])
    jitter = float(v.get('colorJitter', 1))
    ops = [T.RandomResizedCrop(size, scale=(float(v.get('cropScaleMin', 0.2)), 1.0), antialias=True)]
    if float(v.get('rotation', 0)) > 0:
        ops.append(T.RandomRotation(float(v['rotation'])))
    ops.append(T.RandomHorizontalFlip())
    if jitter > 0:
        hue = min(0.5, float(v.get('hueJitter', 0.1)) * jitter)
        ops.append(T.RandomApply([T.ColorJitter(0.4 * jitter, 0.4 * jitter, 0.2 * jitter, hue)], p=0.8))
    ops.append(T.RandomGrayscale(float(v.get('grayscaleProbability', 0.2))))
    if v.get('blur', True):
        ops.append(T.RandomApply([T.GaussianBlur(3, sigma=(0.1, 2.0))], p=0.5))
    ops += ([] if tensors else [T.ToTensor()]) + [T.Normalize(MEAN.tolist(), STD.tolist())]
    return T.Compose(ops)


def transform(v, tensors):
    """Two views of each image, drawn independently."""
    augment = augmentation(v, tensors)
    return lambda image: (augment(image), augment(image))


def train(model, optimizer, views, device, step, global_batch, total_steps):
    views = torch.cat(views, 0).to(device, non_blocking=True)  # [view 1 of every image, view 2 of every image]
    loss, lr, momentum = train_step(model, optimizer, views, step, global_batch, total_steps)
    return {'loss': loss, 'learningRate': lr, **({'momentum': momentum} if model.momentum_encoder else {})}


def parity_step(model, optimizer, inputs, i, step):
    """Step i on the two views the browser drew ([2B, S, S, 3])."""
    loss, _lr, _m = train_step(model, optimizer, nchw(inputs, f'views.{i}'), step, int(model.v['batchSize']), int(model.v['totalSteps']))
    return loss


def lr_note(v, global_batch):
    return f'peak lr {float(v["learningRate"]) * global_batch / 256:.3g}'


if __name__ == '__main__':
    main(Recipe(Lineage, make_optimizer, transform, train, parity_step, lr_note), __doc__)
