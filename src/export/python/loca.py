#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (one folder per class; the labels are not used for training), or
`shapes`: the browser run's own training images (shapes.safetensors, when it trained on them).
Only torch and torchvision are needed (any version from 1.13 on). config.json holds the
experiment; weights.safetensors, when present, the browser's weights (student and, with the
cluster loss, the EMA teacher), so training continues where the browser stopped.

What the step computes (Caron, Houlsby & Schmid, "Location-Aware Self-Supervised Transformers
for Semantic Segmentation", arXiv 2212.02400; google-research/scenic projects/loca trainer.py
loca_train_step and utils.sinkhorn, as the app's TypeScript, which cites them):
  views    per image a reference crop r (never flipped), a large query and F small focal
           queries; y_p, the reference patch under the centre of query patch p (-1 outside r),
           follows exactly from the boxes. The student sees a random subset of the large
           query's patches; the queries attend to one contiguous run of round((1 - eta) N_ref)
           reference tokens (the rest masked).
  position z_p = W LN(CrossAttention(q_p, visible r tokens)), logits over the N_ref reference
           patches; L_loc = sum_p w_p CE(z_p, y_p) / (sum_p w_p + 1e-8), w_p = [y_p != -1].
  cluster  (on) the EMA teacher encodes the whole reference (its visible run is what the
           queries attend to); Q = Sinkhorn(softmax(h_t(r) / tau_t)): columns divided by their
           sum over the global batch, then rows by theirs. The student predicts the assignment
           of the patch under it: L_clu = sum_p w_p H(Q[y_p], softmax(h_s(q_p) / tau_s)) /
           (sum_p w_p + 1e-8), plus (mean-entropy on) R = sum_k pbar_k log pbar_k, pbar the
           student's mean prediction over the global batch (scenic's me-max). Off: no teacher;
           the reference goes through the student, its masked tokens dropped before the encoder.
  loss     L = L_loc + L_clu + R.
  teacher  theta_t <- m theta_t + (1 - m) theta_s (encoder and head), m on a cosine to 1.
  optim    AdamW, lr = lr * global batch / 1024, a linear warm-up from 0 then a cosine to the
           final lr; weight decay on tensors of rank >= 2; gradients averaged over the
           processes, then clipped by their global norm.

Weights keep the browser's names and layouts (a linear weight is [in, out], the patch embedding
[p, p, 3, D]), so weights.safetensors loads and saves without conversion.
"""
# {{COMMON}}


# ----------------------------------------------------------------------------------------------
# The networks, as functions of a dict of tensors named as in the browser.


# {{VIT}}


def encoder_tokens(p, prefix, images, v, resize=None, keep=None):
    """The ViT of vit_forward, returning the patch tokens [N, T, D] after the final LayerNorm
    (CLS dropped). `keep` (patch indices, the same for every image) drops the other patch tokens
    after the position embedding, before the blocks: the encoder never sees them."""
    x = images.permute(0, 2, 3, 1)
    n, size, patch, width = x.shape[0], x.shape[1], int(v['patchSize']), int(v['width'])
    grid = size // patch
    rows = x.reshape(n, grid, patch, grid, patch, 3).permute(0, 1, 3, 2, 4, 5).reshape(n * grid * grid, patch * patch * 3)
    tokens = (rows @ p[prefix + 'patchEmbed.kernel'].reshape(patch * patch * 3, width) + p[prefix + 'patchEmbed.bias']).reshape(n, grid * grid, width)
    position = p[prefix + 'positionEmbedding']
    tokens = tokens + (position[:, 1:] if resize is None else (resize.to(position.device) @ position[0, 1:])[None])
    tokens = tokens if keep is None else tokens[:, keep]
    x = torch.cat([(p[prefix + 'clsToken'] + position[:, :1]).expand(n, 1, width), tokens], 1)
    heads, i = int(v['heads']), 0
    while f'{prefix}blocks.{i}.qkv.weight' in p:
        b = f'{prefix}blocks.{i}.'
        h = F.layer_norm(x, (width,), p[b + 'norm1.gamma'], p[b + 'norm1.beta'], 1e-6)
        q, k, value = (h @ p[b + 'qkv.weight'] + p[b + 'qkv.bias']).split(width, -1)
        x = x + attend(q, k, value, heads) @ p[b + 'proj.weight'] + p[b + 'proj.bias']
        h = F.layer_norm(x, (width,), p[b + 'norm2.gamma'], p[b + 'norm2.beta'], 1e-6)
        x = x + F.gelu(h @ p[b + 'fc1.weight'] + p[b + 'fc1.bias']) @ p[b + 'fc2.weight'] + p[b + 'fc2.bias']
        i += 1
    return F.layer_norm(x, (width,), p[prefix + 'norm.gamma'], p[prefix + 'norm.beta'], 1e-6)[:, 1:]


def attend(q, k, value, heads):
    """Multi-head attention of queries [N, Tq, D] on keys and values [N, Tk, D]."""
    n, width = q.shape[0], q.shape[2]
    split = lambda t: t.reshape(n, t.shape[1], heads, width // heads).transpose(1, 2)  # noqa: E731
    weights = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(width // heads), -1)
    return (weights @ split(value)).transpose(1, 2).reshape(n, q.shape[1], width)


def cross_attention(p, prefix, queries, context, heads):
    """LOCA's cross-attention block: queries from one token set, keys and values from another
    (each through its own LayerNorm), a residual onto the queries, then LN -> MLP -> residual."""
    width = queries.shape[2]
    norm = lambda x, name: F.layer_norm(x, (width,), p[prefix + name + '.gamma'], p[prefix + name + '.beta'], 1e-6)  # noqa: E731
    dense = lambda x, name: x @ p[prefix + name + '.weight'] + p[prefix + name + '.bias']  # noqa: E731
    context = norm(context, 'normContext')
    x = queries + dense(attend(dense(norm(queries, 'normQuery'), 'query'), dense(context, 'key'), dense(context, 'value'), heads), 'proj')
    return x + dense(F.gelu(dense(norm(x, 'norm2'), 'fc1')), 'fc2')


def head_forward(p, prefix, x):
    """DINOHead with the prototypes' norm fixed at 1: Linear-GELU-Linear-GELU-Linear, L2 norm, prototypes."""
    for i in range(3):
        x = x @ p[f'{prefix}mlp.{i}.weight'] + p[f'{prefix}mlp.{i}.bias']
        if i < 2:
            x = F.gelu(x)
    direction = p[prefix + 'lastLayer.direction']
    return F.normalize(x, dim=-1) @ (direction / direction.norm(dim=0, keepdim=True))


def sinkhorn(q, iterations):
    """utils.sinkhorn: columns divided by their sum over the global batch, then rows by theirs."""
    for _ in range(iterations):
        q = q / all_reduce_sum(q.sum(0, keepdim=True))
        q = q / q.sum(1, keepdim=True)
    return q


def mean_entropy(log_probs):
    return -(log_probs.exp() * log_probs).sum(1).mean()


def weighted_mean(values, weights):
    return (values * weights).sum() / (weights.sum() + 1e-8)


class Sizes:
    """Token counts of the views (the browser's locaSizes; round_half_up is JavaScript's Math.round)."""

    def __init__(self, v):
        patch, round_half_up = int(v['patchSize']), lambda x: int(math.floor(x + 0.5))  # noqa: E731
        self.grid = max(1, int(v['imageSize']) // patch)
        self.patches = self.grid * self.grid
        self.reference_kept = min(self.patches, max(1, round_half_up((1 - float(v['maskRatio'])) * self.patches)))
        self.query_kept = min(self.patches, max(1, round_half_up(float(v['queryKeep']) * self.patches)))
        self.focal_grid = max(1, int(v['focalSize']) // patch)
        self.focal_patches = self.focal_grid * self.focal_grid
        self.focal_queries = int(v['focalQueries'])
        self.per_image = self.query_kept + self.focal_queries * self.focal_patches


class Loca(Weights):
    """`p` holds every tensor by its browser name: the student (backbone.*, head.*, crossAttention.*,
    finalNorm.*, position.*) and, with the cluster loss, the teacher (EMA of backbone.*, head.*)."""

    def __init__(self, config, device):
        v = config['values']
        if int(v['focalQueries']) > 0 and (int(v['focalSize']) % int(v['patchSize']) or int(v['focalSize']) > int(v['imageSize'])):
            raise SystemExit('focalSize must be a multiple of patchSize and at most imageSize (as the app validates)')
        self.v, self.device, self.sizes, self.cluster = v, device, Sizes(v), bool(v['clusterLoss'])
        s = self.sizes
        self.focal_resize = grid_resize_matrix(s.grid, s.focal_grid) if s.focal_queries and s.focal_grid != s.grid else None
        self.p = {}

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers)."""
        torch.manual_seed(seed)
        v = self.v
        width, patch, hidden = int(v['width']), int(v['patchSize']), int(v['mlpRatio']) * int(v['width'])

        def trunc(shape, std=0.02):
            return torch.nn.init.trunc_normal_(torch.empty(shape), std=std, a=-2 * std, b=2 * std)

        def uniform(shape, fan_in):
            return torch.empty(shape).uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))

        def linear(name, n_in, n_out):
            self.p[name + '.weight'], self.p[name + '.bias'] = trunc([n_in, n_out]), torch.zeros(n_out)

        def norm(name):
            self.p[name + '.gamma'], self.p[name + '.beta'] = torch.ones(width), torch.zeros(width)

        def block(prefix, attention, norms):  # an attention's linears, the MLP and the LayerNorms
            for name, n_in, n_out in attention + (('fc1', width, hidden), ('fc2', hidden, width)):
                linear(prefix + name, n_in, n_out)
            for name in norms:
                norm(prefix + name)

        s = 'student.backbone.'
        self.p[s + 'patchEmbed.kernel'] = uniform([patch, patch, 3, width], patch * patch * 3)
        self.p[s + 'patchEmbed.bias'] = uniform([width], patch * patch * 3)
        self.p[s + 'clsToken'] = trunc([1, 1, width])
        self.p[s + 'positionEmbedding'] = trunc([1, 1 + self.sizes.patches, width])
        for i in range(int(v['depth'])):
            block(f'{s}blocks.{i}.', (('qkv', width, 3 * width), ('proj', width, width)), ('norm1', 'norm2'))
        norm(s + 'norm')
        dims = [width, int(v['headHidden']), int(v['headHidden']), int(v['bottleneck'])]
        for i in range(3):
            linear(f'student.head.mlp.{i}', dims[i], dims[i + 1])
        self.p['student.head.lastLayer.direction'] = uniform([dims[3], int(v['outputDim'])], dims[3])
        self.p['student.head.lastLayer.norm'] = torch.ones(int(v['outputDim']))
        block('student.crossAttention.', tuple((name, width, width) for name in ('query', 'key', 'value', 'proj')),
              ('normQuery', 'normContext', 'norm2'))
        norm('student.finalNorm')
        linear('student.position', width, self.sizes.patches)
        if self.cluster:  # the teacher starts as a copy of the encoder and head
            self.p.update({'teacher.' + n[8:]: t.clone() for n, t in self.p.items() if n.startswith(('student.backbone.', 'student.head.'))})
        self.to_device()

    def trains(self, name):
        # The prototypes' norm is fixed at 1; the head is unused without the cluster loss.
        return name.startswith('student.') and name != 'student.head.lastLayer.norm' and (self.cluster or not name.startswith('student.head.'))

    def trainable_names(self):
        return sorted(n for n in self.p if self.trains(n))

    def trainable(self):
        # Sorted by name: the optimiser's state lists parameters in this order (see --resume).
        return {name: self.p[name] for name in self.trainable_names()}

    def forward(self, views):
        """views: reference, query [B, 3, S, S], focal [F*B, 3, s, s] (focal-major) or None,
        query_keep, reference_keep (patch indices) and targets [B*Tq] (y_p, -1 outside).
        Returns the loss and the step's metrics (the browser's names)."""
        v, s, p = self.v, self.sizes, self.p
        width, heads = int(v['width']), int(v['heads'])
        B = views['reference'].shape[0]
        targets = views['targets']
        weights = (targets >= 0).float()
        metrics = {'insideFraction': weights.mean()}
        patch_targets = None
        if self.cluster:
            with torch.no_grad():
                features = encoder_tokens(p, 'teacher.backbone.', views['reference'], v)  # [B, N_ref, D]
                logits = head_forward(p, 'teacher.head.', features.reshape(-1, width))
                assignments = sinkhorn(torch.softmax(logits / float(v['teacherTemperature']), -1), int(v['sinkhornIterations']))
                metrics['targetEntropy'] = mean_entropy(assignments.clamp_min(1e-12).log())
                rows = torch.arange(B, device=targets.device).repeat_interleave(s.per_image) * s.patches + targets.clamp_min(0)
                patch_targets = assignments[rows]
                context = features[:, views['reference_keep']]
        else:
            context = encoder_tokens(p, 'student.backbone.', views['reference'], v, keep=views['reference_keep'])
        tokens = encoder_tokens(p, 'student.backbone.', views['query'], v, keep=views['query_keep'])  # [B, kQ, D]
        if views['focal'] is not None:
            focal = encoder_tokens(p, 'student.backbone.', views['focal'], v, resize=self.focal_resize)  # [F*B, n, D]
            focal = focal.reshape(s.focal_queries, B, s.focal_patches, width).transpose(0, 1).reshape(B, -1, width)
            tokens = torch.cat([tokens, focal], 1)  # per image: the kept large-query patches, focal 0, focal 1, ...
        x = F.layer_norm(cross_attention(p, 'student.crossAttention.', tokens, context, heads), (width,),
                         p['student.finalNorm.gamma'], p['student.finalNorm.beta'], 1e-6)
        position = (x @ p['student.position.weight'] + p['student.position.bias']).reshape(-1, s.patches)
        picked = torch.log_softmax(position, -1).gather(1, targets.clamp_min(0)[:, None])[:, 0]
        loss = metrics['localizationLoss'] = weighted_mean(-picked, weights)
        with torch.no_grad():
            hits = (position.argmax(1) == targets).float()
            metrics['positionAccuracy'] = weighted_mean(hits, weights)
            if s.reference_kept < s.patches:  # inside patches whose true reference patch is visible, and the others
                seen = torch.isin(targets, views['reference_keep']).float() * weights
                metrics['visibleAccuracy'] = weighted_mean(hits, seen)
                metrics['hiddenAccuracy'] = weighted_mean(hits, weights - seen)
        if patch_targets is not None:
            tau = float(v['studentTemperature'])
            student = head_forward(p, 'student.head.', tokens.reshape(-1, width)) / tau
            log_probs = torch.log_softmax(student, -1)
            metrics['clusterLoss'] = weighted_mean(-(patch_targets * log_probs).sum(1), weights)
            # pbar over the global batch (the autograd all-reduce carries every process's share back).
            mean = all_reduce_sum(torch.softmax(student, -1).mean(0)) / world()
            spread = (mean * mean.clamp_min(1e-12).log()).sum()
            loss = loss + metrics['clusterLoss'] + (spread if v['meanEntropy'] else 0)
            metrics.update(predictionSpread=-spread, studentEntropy=mean_entropy(log_probs))
        return loss, {name: t.detach() for name, t in metrics.items()}

    def ema(self, momentum):
        self.ema_update(momentum, 'student.', 'teacher.')

# ----------------------------------------------------------------------------------------------
# The views' geometry: crops as the browser cuts them (tf.image.cropAndResize: a box through
# the first and last pixel centres, bilinear) and the position targets that follow from them.


def crop_and_resize(image, box, size):
    """image [3, H, W]; box [y1, x1, y2, x2] normalised (x1 > x2: flipped) -> [3, size, size]."""
    steps = torch.arange(size, dtype=torch.float64) / (size - 1) if size > 1 else torch.full((1,), 0.5, dtype=torch.float64)
    ys, xs = box[0] + steps * (box[2] - box[0]), box[1] + steps * (box[3] - box[1])
    grid = torch.stack(torch.meshgrid(xs * 2 - 1, ys * 2 - 1, indexing='xy'), -1).float()  # [size, size, (x, y)]
    return F.grid_sample(image[None], grid[None], mode='bilinear', padding_mode='zeros', align_corners=True)[0]


def correspondence(query_boxes, reference_boxes, query_size, reference_size, patch, last):
    """For every patch of each query crop (raster order), the reference patch under its centre,
    or -1 outside (the browser's patchCorrespondence, in float64 and in its order of operations;
    `last` scales the normalised boxes to pixels: S - 1 for the browser's S x S images)."""
    query_grid, reference_grid = query_size // patch, reference_size // patch
    u = torch.arange(query_grid, dtype=torch.float64) * patch + (patch - 1) / 2

    def axis(q0, q1, r0, r1):
        source = q0[:, None] * last + (u[None] * (q1 - q0)[:, None] * last) / (query_size - 1)
        span = ((r1 - r0) * last)[:, None]
        # A one-pixel reference box (span 0) maps only its own pixel, to 0 (0 / 0 here); the rest to +-inf, outside.
        coordinate = torch.nan_to_num(((source - r0[:, None] * last) * (reference_size - 1)) / span, nan=0.0, posinf=math.inf, neginf=-math.inf)
        inside = (coordinate >= -0.5 - 1e-6) & (coordinate < reference_size - 0.5 + 1e-6)
        return inside, torch.floor((coordinate + 0.5) / patch).clamp(0, reference_grid - 1).long()

    inside_y, row = axis(query_boxes[:, 0], query_boxes[:, 2], reference_boxes[:, 0], reference_boxes[:, 2])
    inside_x, col = axis(query_boxes[:, 1], query_boxes[:, 3], reference_boxes[:, 1], reference_boxes[:, 3])
    targets = row[:, :, None] * reference_grid + col[:, None, :]
    return torch.where(inside_y[:, :, None] & inside_x[:, None, :], targets, torch.full_like(targets, -1)).reshape(len(query_boxes), -1)


def position_targets(sizes, v, boxes, query_keep, last):
    """targets [B*Tq]: per image the large query's kept patches, then each focal query's."""
    S, patch = int(v['imageSize']), int(v['patchSize'])
    large = correspondence(boxes['query'], boxes['reference'], S, S, patch, last)[:, query_keep]
    parts = [large]
    if sizes.focal_queries:
        references = boxes['reference'].repeat(sizes.focal_queries, 1)  # focal row f*B + b -> reference b
        focal = correspondence(boxes['focal'], references, int(v['focalSize']), S, patch, last)
        parts.append(focal.reshape(sizes.focal_queries, len(large), -1).transpose(0, 1).reshape(len(large), -1))
    return torch.cat(parts, 1).reshape(-1)

# ----------------------------------------------------------------------------------------------
# Schedules, the optimiser and one step.


def schedule(v, step, global_batch, total_steps):
    peak = float(v['learningRate']) * global_batch / 1024
    return {'learningRate': cosine_at(peak, float(v['minLearningRate']), total_steps, int(v['warmupSteps']), step),
            'teacherMomentum': cosine_at(float(v['teacherMomentum']), 1.0, total_steps, 0, step)}


def make_optimizer(model, v):
    """AdamW (torch's, the same update as the browser's); weight decay on rank >= 2 only."""
    return adamw(model.trainable(), float(v['weightDecay']))


def train_step(model, optimizer, views, step, global_batch, total_steps):
    v, s = model.v, schedule(model.v, step, global_batch, total_steps)
    for group in optimizer.param_groups:
        group['lr'] = s['learningRate']
    loss, metrics = model.forward(views)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(model)
    clip = float(v['gradientClip'])
    grads = [t.grad for t in model.trainable().values() if t.grad is not None]
    if clip > 0 and grads:  # scenic's clip_grads: every gradient times min(1, c / global norm), no epsilon
        factor = torch.clamp(clip / torch.sqrt(sum((g * g).sum() for g in grads)), max=1.0)
        for g in grads:
            g.mul_(factor)
    optimizer.step()
    if model.cluster:
        model.ema(s['teacherMomentum'])
    else:
        del s['teacherMomentum']
    return loss.detach(), {**metrics, **s}

# ----------------------------------------------------------------------------------------------
# Data: per image the reference, large query and focal queries, cut as the browser cuts them, with
# torchvision's colour augmentations (the app's settings: the same distributions, not the same random numbers).


class LocaViews:
    """The loader's transform (v, tensors) -> image -> the views of one image and their boxes."""

    def __init__(self, v, tensors):
        from torchvision import transforms as T
        self.v, self.size, self.focal_size, self.focals = v, int(v['imageSize']), int(v['focalSize']), int(v['focalQueries'])
        jitter = float(v['colorJitter'])
        hue = min(0.5, float(v.get('hueJitter', 0.1)) * jitter)  # the largest hue turn, scaled by the strength
        base = [T.RandomApply([T.ColorJitter(0.4 * jitter, 0.4 * jitter, 0.2 * jitter, hue)], p=0.8)] if jitter > 0 else []
        base.append(T.RandomGrayscale(float(v['grayscaleProbability'])))
        normalize = T.Normalize(MEAN.tolist(), STD.tolist())
        solarize = [T.RandomSolarize(0.5, p=float(v['solarizeProbability']))] if float(v['solarizeProbability']) > 0 else []
        self.plain = T.Compose(base + [normalize])  # reference and focal queries
        self.query = T.Compose(base + solarize + [normalize])  # the large query (solarised at times)
        self.prepare = None if tensors else T.Compose([T.ToTensor(), T.Resize(self.size, antialias=True)])

    def box(self, image, scale, flip):
        """RandomResizedCrop's draw, as a box through the first and last pixel centres."""
        from torchvision import transforms as T
        H, W = max(image.shape[1] - 1, 1), max(image.shape[2] - 1, 1)
        top, left, h, w = T.RandomResizedCrop.get_params(image, scale, (3 / 4, 4 / 3))
        y1, x1, y2, x2 = top / H, left / W, (top + h - 1) / H, (left + w - 1) / W
        if flip and torch.rand(()) < 0.5:
            x1, x2 = x2, x1
        return torch.tensor([y1, x1, y2, x2], dtype=torch.float64)

    def __call__(self, image):
        v = self.v
        image = image if self.prepare is None else self.prepare(image)
        boxes = [self.box(image, (float(v['referenceScaleMin']), 1.0), False), self.box(image, (float(v['queryScaleMin']), 1.0), True)]
        boxes += [self.box(image, (float(v['focalScaleMin']), float(v['focalScaleMax'])), True) for _ in range(self.focals)]
        focal = [self.plain(crop_and_resize(image, b, self.focal_size)) for b in boxes[2:]]
        return {
            'reference': self.plain(crop_and_resize(image, boxes[0], self.size)),
            'query': self.query(crop_and_resize(image, boxes[1], self.size)),
            'focal': torch.stack(focal) if focal else torch.zeros(0, 3, self.focal_size, self.focal_size),
            'boxes': torch.stack(boxes),
        }


def train(model, optimizer, batch, device, step, global_batch, total_steps):
    """batch: the loader's views of B images; the step's token subsets are drawn here."""
    s, v = model.sizes, model.v
    query_keep = torch.randperm(s.patches)[:s.query_kept]
    offset = int(torch.randint(s.patches - s.reference_kept + 1, ()))
    reference_keep = torch.arange(offset, offset + s.reference_kept)
    boxes = batch['boxes']  # [B, 2 + F, 4]: reference, large query, focal queries
    focal_boxes = boxes[:, 2:].transpose(0, 1).reshape(-1, 4)  # focal-major: row f*B + b
    # last 1: the boxes are normalised per axis (ImageFolder images need not be square).
    targets = position_targets(s, v, {'reference': boxes[:, 0], 'query': boxes[:, 1], 'focal': focal_boxes}, query_keep, 1.0)
    focal = batch['focal'].transpose(0, 1).reshape(-1, *batch['focal'].shape[2:]) if s.focal_queries else None
    views = {name: t.to(device, non_blocking=True) if t is not None else None for name, t in (
        ('reference', batch['reference']), ('query', batch['query']), ('focal', focal),
        ('query_keep', query_keep), ('reference_keep', reference_keep), ('targets', targets))}
    loss, record = train_step(model, optimizer, views, step, global_batch, total_steps)
    return {'loss': loss, **record}


def parity_step(model, optimizer, inputs, i, step):
    """Step i on the views the browser drew: its augmented crops, with the targets rebuilt here
    from its boxes (and checked against its own); with no colour augmentation, the crops are
    also cut here from the images and compared."""
    s, v = model.sizes, model.v
    S, last = int(v['imageSize']), int(v['imageSize']) - 1
    exact = lambda name: torch.round(inputs[f'views.{i}.{name}'].double() * last) / last  # noqa: E731  the browser's pixel/last boxes
    boxes = {'reference': exact('referenceBoxes'), 'query': exact('queryBoxes'), 'focal': exact('focalBoxes') if s.focal_queries else None}
    query_keep = inputs[f'views.{i}.queryKeep'].long()
    targets = position_targets(s, v, boxes, query_keep, last)
    browser = inputs[f'views.{i}.targets'].long()
    if not torch.equal(targets, browser):
        raise SystemExit(f'position targets differ from the browser\'s at {int((targets != browser).sum())} of {len(targets)} patches')
    views = {'reference': nchw(inputs, f'views.{i}.reference'), 'query': nchw(inputs, f'views.{i}.query'),
             'focal': nchw(inputs, f'views.{i}.focal') if s.focal_queries else None,
             'query_keep': query_keep, 'reference_keep': inputs[f'views.{i}.referenceKeep'].long(), 'targets': targets}
    if not any(float(v[name]) for name in ('colorJitter', 'grayscaleProbability', 'solarizeProbability')):
        images = nchw(inputs, 'images')
        for name, size in (('reference', S), ('query', S), ('focal', int(v['focalSize'])))[:3 if s.focal_queries else 2]:
            crops = torch.stack([crop_and_resize(images[r % len(images)], b, size) for r, b in enumerate(boxes[name])])
            gap = float(((crops - MEAN[:, None, None]) / STD[:, None, None] - views[name]).abs().max())
            if gap > 0.02:  # the browser's hue rotation by 0 is a YIQ round trip: the identity to ~1e-3
                raise SystemExit(f'the {name} crops differ from the browser\'s by {gap}')
    loss, _record = train_step(model, optimizer, views, step, int(v['batchSize']), int(v['totalSteps']))
    return loss


def lr_note(v, global_batch):
    return f'peak lr {float(v["learningRate"]) * global_batch / 1024:.3g} (lr x global batch / 1024, as scenic)'


if __name__ == '__main__':
    main(Recipe(Loca, make_optimizer, LocaViews, train, parity_step, lr_note), __doc__)
