#!/usr/bin/env python3
"""{{TITLE}}, exported from SSL Playground: the same method, settings and (when exported from a
run) weights as the browser run, as one PyTorch file.

    python train.py --data DIR                       # one device (CUDA if present, else CPU)
    torchrun --nproc_per_node=N train.py --data DIR  # DistributedDataParallel: NCCL on CUDA, gloo on CPU

--data is an ImageFolder tree (labels unused), or `shapes`: the browser run's own training
images (shapes.safetensors). Only torch and torchvision are needed (1.13 on). config.json holds
the experiment; weights.safetensors, when present, the browser's weights (backbone, neck,
decoder and the moving-averaged backbone), so training continues where the browser stopped.

What the step computes (Tian et al. 2023, "Integrally Pre-Trained Transformer Pyramid
Networks", sections 3.2-3.3; its MIM objective is MAE's, He et al. 2022; scaled down as the
app's TypeScript states them). `pyramid` off is the plain-ViT MAE baseline: one level, the
last layer.
  mask    per image a uniform random patch order; the first n = int(N (1 - maskRatio)) patches
          are visible, the rest masked (MAE's random_masking). The encoder sees only the
          visible patches.
  HiViT   a patch = 4x4 sub-tokens (dim d/4): MLP blocks, merge 2x2 -> (d/2), MLP blocks, merge
          -> one token per patch (d), + a learned (sin-cos initialised) position, attention
          blocks, LayerNorm. Plain ViT: a p x p patch embedding to d, the attention blocks.
  pyramid top-down: level_1 = split(top) + lateral(stage 2), level_2 = split(level_1) +
          lateral(stage 1), MLP blocks after each merge and one per output level (the paper's
          feature pyramid, trained with the backbone: the "integral" pre-training).
  decoder each level embedded to D per patch, visible patches back on the full grid with a mask
          token elsewhere, levels summed + fixed sin-cos positions, transformer blocks, a linear
          map to each patch's pixels.
  MIM     L_pix = mean over masked patches of ||pred - (x - mu) / sqrt(var + 1e-6)||^2 / (p^2 3)
          (MAE's norm_pix_loss, unbiased var per patch).
  MFM     level i's head predicts the moving-averaged backbone's stage of matching resolution on
          every patch, each sub-token LayerNormed (no affine, eps 1e-5); the same masked MSE;
          L = [mim] L_pix + [mfm] w * mean_i L_feat,i.
  teacher theta_t <- m theta_t + (1 - m) theta_backbone after each step, m on a cosine to 1.
  optim   AdamW, betas (0.9, 0.95), weight decay on rank >= 2; lr linear warm-up then a cosine
          to 1 % of the peak (not scaled by the batch, as in the app).

Weights keep the browser's names and layouts (a linear weight is [in, out], the patch embedding
[k k 3, C] as a matrix over NHWC pixel rows), so weights.safetensors loads and saves as is.
"""
# {{COMMON}}


# ----------------------------------------------------------------------------------------------
# The networks, as functions of a dict of tensors named as in the browser. Token maps are kept
# channels-last ([M, h, w, C]) as the browser keeps them.


def layer_norm(p, prefix, x, eps=1e-6):
    return F.layer_norm(x, (x.shape[-1],), p[prefix + 'gamma'], p[prefix + 'beta'], eps)


def linear(p, prefix, x):
    return x @ p[prefix + 'weight'] + p[prefix + 'bias']


def mlp_block(p, prefix, x):
    """x + MLP(LN(x)): HiViT's MLP-only blocks (and the pyramid's)."""
    return x + linear(p, prefix + 'fc2.', F.gelu(linear(p, prefix + 'fc1.', layer_norm(p, prefix + 'norm.', x))))


def block(p, prefix, x, heads):
    """A pre-norm transformer block on [B, T, D] (the same maths as vit.py's blocks)."""
    n, t, width = x.shape
    q, k, value = linear(p, prefix + 'qkv.', layer_norm(p, prefix + 'norm1.', x)).split(width, -1)
    split = lambda u: u.reshape(n, t, heads, width // heads).transpose(1, 2)  # noqa: E731
    attention = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(width // heads), -1)
    x = x + linear(p, prefix + 'proj.', (attention @ split(value)).transpose(1, 2).reshape(n, t, width))
    return x + linear(p, prefix + 'fc2.', F.gelu(linear(p, prefix + 'fc1.', layer_norm(p, prefix + 'norm2.', x))))


def blocks(p, prefix, x, heads=None):
    """Every block named prefix0., prefix1., ...: MLP-only blocks, or (given heads) transformer blocks."""
    i = 0
    while f'{prefix}{i}.fc1.weight' in p:
        x = mlp_block(p, f'{prefix}{i}.', x) if heads is None else block(p, f'{prefix}{i}.', x, heads)
        i += 1
    return x


def patch_merge(p, prefix, x):
    """[M, h, w, C] -> [M, h/2, w/2, 2C]: each 2x2 block's sub-tokens concatenated in HiViT's
    order (even row even col, odd row even col, even row odd col, odd odd), LN, a linear map."""
    m, h, w, c = x.shape
    grouped = x.reshape(m, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).reshape(m, h // 2, w // 2, 4 * c)
    return layer_norm(p, prefix + 'norm.', grouped) @ p[prefix + 'reduction']


def patch_split(p, prefix, x):
    """[M, h, w, C] -> LN -> linear to 4f -> [M, 2h, 2w, f]: each token becomes 2x2."""
    m, h, w, _c = x.shape
    y = (layer_norm(p, prefix + 'norm.', x) @ p[prefix + 'reduction']).reshape(m, h, w, 2, 2, -1)
    return y.permute(0, 1, 3, 2, 4, 5).reshape(m, 2 * h, 2 * w, -1)


def encoder(p, prefix, v, images, keep):
    """images [B, S, S, 3] normalised (NHWC); keep [B, n] each image's visible patch indices,
    ascending (None: every patch). Returns the sub-token stages [M, 4, 4, d/4], [M, 2, 2, d/2]
    (empty for the plain ViT) and the stage-3 tokens after the final norm [B, n, d]."""
    batch, size = images.shape[0], images.shape[1]
    patch, d = int(v['patchSize']), int(v['width'])
    g = size // patch
    pixels = images.reshape(batch, g, patch, g, patch, 3).permute(0, 1, 3, 2, 4, 5).reshape(batch, g * g, patch, patch, 3)
    if keep is None:
        keep = torch.arange(g * g, device=images.device).expand(batch, g * g)
    pixels = torch.gather(pixels, 1, keep.reshape(batch, -1, 1, 1, 1).expand(-1, -1, patch, patch, 3))
    n = keep.shape[1]
    m = batch * n
    stages = []
    if v['pyramid']:
        k = patch // 4
        rows = pixels.reshape(m, 4, k, 4, k, 3).permute(0, 1, 3, 2, 4, 5).reshape(m, 4, 4, k * k * 3)
        x = layer_norm(p, prefix + 'patchNorm.', rows @ p[prefix + 'patchEmbed.kernel'] + p[prefix + 'patchEmbed.bias'])
        x = blocks(p, prefix + 'stage1.', x)
        stages.append(x)
        x = blocks(p, prefix + 'stage2.', patch_merge(p, prefix + 'merge1.', x))
        stages.append(x)
        x = patch_merge(p, prefix + 'merge2.', x)  # [M, 1, 1, d]
    else:
        x = pixels.reshape(m, patch * patch * 3) @ p[prefix + 'patchEmbed.kernel'] + p[prefix + 'patchEmbed.bias']
    x = x.reshape(batch, n, d) + p[prefix + 'position'][keep]
    x = blocks(p, prefix + 'blocks.', x, int(v['heads']))
    return stages, layer_norm(p, prefix + 'norm.', x)


def pyramid_levels(p, v, stages, top):
    """The levels the decoder reads, coarse -> fine, each [M, s, s, c] (M = B n): the pyramid's
    three (s = 1, 2, 4), or the plain ViT's last layer alone."""
    batch, n, d = top.shape
    top = top.reshape(batch * n, 1, 1, d)
    if not v['pyramid']:
        return [top]
    mid = blocks(p, 'neck.block16to8.', patch_split(p, 'neck.split16to8.', top) + stages[1] @ p['neck.align16to8'])
    fine = blocks(p, 'neck.block8to4.', patch_split(p, 'neck.split8to4.', mid) + stages[0] @ p['neck.align8to4'])
    return [mlp_block(p, f'neck.out.{i}.', level) for i, level in enumerate([linear(p, 'neck.alignTop.', top), mid, fine])]


def on_grid(rows, token, mask):
    """Visible rows [B n, D] back on the full grid [B, N, D], `token` [1, D] at masked patches
    (MAE's unshuffle): for each patch, its visible token in ascending order, or the token."""
    batch, patches = mask.shape
    tokens = torch.cat([rows.reshape(batch, -1, rows.shape[-1]), token.expand(batch, 1, -1)], 1)
    visible = tokens.shape[1] - 1
    local = torch.where(mask > 0, torch.full_like(mask, visible), (1 - mask).cumsum(1) - 1).long()
    return torch.gather(tokens, 1, local.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


def sin_cos_positions(dim, grid):
    """MAE's get_2d_sincos_pos_embed without CLS, [g^2, D]: sin, cos of the column, then of the row."""
    quarter = dim // 4
    omega = torch.tensor([1 / 10000 ** (k / quarter) for k in range(quarter)], dtype=torch.float64)
    rows, cols = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64), indexing='ij')
    col, row = cols.reshape(-1, 1) * omega, rows.reshape(-1, 1) * omega
    return torch.cat([col.sin(), col.cos(), row.sin(), row.cos()], 1).float()


def mask_from_order(order, ratio):
    """order [B, N]: each image's patch order; the first int(N (1 - ratio)) are visible.
    Returns mask [B, N] (1 = masked) and keep [B, n], each image's visible patches ascending."""
    batch, patches = order.shape
    visible = int(patches * (1 - ratio))
    if not 1 <= visible < patches:
        raise SystemExit(f'mask ratio {ratio} keeps {visible} of {patches} patches: it must keep at least one and mask at least one')
    mask = torch.ones(batch, patches, device=order.device)
    mask.scatter_(1, order[:, :visible].long(), 0.0)
    keep = torch.nonzero(mask == 0)[:, 1].reshape(batch, visible)
    return mask, keep


def masked_mse(prediction, target, mask):
    """MAE's forward_loss: the squared error averaged per patch, then over the masked patches."""
    return (((prediction - target) ** 2).mean(-1) * mask).sum() / mask.sum()


class Itpn(Weights):
    """Backbone (HiViT or the plain ViT), pyramid neck, decoders and the moving-averaged
    backbone. `p` holds every tensor by its browser name: backbone.*, neck.*, decoder.*, teacher.*."""

    def __init__(self, config, device):
        v = config['values']
        self.v = v
        self.device = device
        patch, d = int(v['patchSize']), int(v['width'])
        if int(v['imageSize']) % patch or d % int(v['heads']) or d % 4 or (v['pyramid'] and patch % 4):
            raise SystemExit('imageSize must divide by patchSize, width by heads and by 4, and (pyramid on) patchSize by 4')
        if not v['mim'] and not v['mfm']:
            raise SystemExit('switch on mim, mfm or both: with neither nothing is learned')
        self.grid = int(v['imageSize']) // patch
        self.position = sin_cos_positions(int(v['decoderWidth']), self.grid).to(device)
        self.momentum_encoder = bool(v['mfm'])
        self.p = {}

    def level_shapes(self):
        """(sub-tokens per side, channels, target channels) per level, coarse -> fine."""
        v = self.v
        d, f = int(v['width']), int(v['fpnWidth'])
        return [(1, f, d), (2, f, d // 2), (4, f, d // 4)] if v['pyramid'] else [(1, d, d)]

    def init(self, seed):
        """Fresh weights, the browser's initialisers (not its random numbers)."""
        torch.manual_seed(seed)
        v = self.v
        p = self.p
        d, patch, ratio = int(v['width']), int(v['patchSize']), int(v['mlpRatio'])
        f, D = int(v['fpnWidth']), int(v['decoderWidth'])

        def trunc(shape, std=0.02):
            return torch.nn.init.trunc_normal_(torch.empty(shape), std=std, a=-2 * std, b=2 * std)

        def norm(prefix, dim):
            p[prefix + 'gamma'], p[prefix + 'beta'] = torch.ones(dim), torch.zeros(dim)

        def lin(prefix, cin, cout):
            p[prefix + 'weight'], p[prefix + 'bias'] = trunc([cin, cout]), torch.zeros(cout)

        def mlp(prefix, dim, r):
            hidden = int(round(dim * r))
            norm(prefix + 'norm.', dim)
            lin(prefix + 'fc1.', dim, hidden)
            lin(prefix + 'fc2.', hidden, dim)

        def attention_block(prefix, dim):
            norm(prefix + 'norm1.', dim)
            lin(prefix + 'qkv.', dim, 3 * dim)
            lin(prefix + 'proj.', dim, dim)
            norm(prefix + 'norm2.', dim)
            lin(prefix + 'fc1.', dim, ratio * dim)
            lin(prefix + 'fc2.', ratio * dim, dim)

        k = patch // 4 if v['pyramid'] else patch
        embed = d // 4 if v['pyramid'] else d
        bound = 1 / math.sqrt(k * k * 3)  # the strided conv's PyTorch default init
        p['backbone.patchEmbed.kernel'] = torch.empty(k * k * 3, embed).uniform_(-bound, bound)
        p['backbone.patchEmbed.bias'] = torch.empty(embed).uniform_(-bound, bound)
        if v['pyramid']:
            norm('backbone.patchNorm.', d // 4)
            for stage, dim in ((1, d // 4), (2, d // 2)):
                for i in range(int(v['mlpDepth'])):
                    mlp(f'backbone.stage{stage}.{i}.', dim, 3)  # bridge_mlp_ratio 3
                norm(f'backbone.merge{stage}.norm.', 4 * dim)
                p[f'backbone.merge{stage}.reduction'] = trunc([4 * dim, 2 * dim])
        p['backbone.position'] = sin_cos_positions(d, self.grid)
        for i in range(int(v['depth'])):
            attention_block(f'backbone.blocks.{i}.', d)
        norm('backbone.norm.', d)
        if v['pyramid']:
            lin('neck.alignTop.', d, f)
            for name, dim, lateral in (('16to8', d, d // 2), ('8to4', f, d // 4)):
                norm(f'neck.split{name}.norm.', dim)
                p[f'neck.split{name}.reduction'] = trunc([dim, 4 * f])
                p[f'neck.align{name}'] = trunc([lateral, f])
                for i in range(int(v['fpnDepth'])):
                    mlp(f'neck.block{name}.{i}.', f, ratio)
            for i in range(3):
                mlp(f'neck.out.{i}.', f, ratio)
        shapes = self.level_shapes()
        for i, (s, channels, _target) in enumerate(shapes):
            norm(f'decoder.embed.{i}.norm.', channels)
            lin(f'decoder.embed.{i}.linear.', channels, D // (s * s))
        p['decoder.maskToken'] = trunc([1, D])
        for i in range(int(v['decoderDepth'])):
            attention_block(f'decoder.blocks.{i}.', D)
        norm('decoder.norm.', D)
        lin('decoder.pred.', D, patch * patch * 3)
        if v['mfm']:
            for i, (s, _channels, target) in enumerate(shapes):
                h = f'decoder.featureHeads.{i}.'
                p[h + 'maskToken'] = trunc([1, D])
                attention_block(h + 'block.', D)
                norm(h + 'norm.', D)
                lin(h + 'head.', D, s * s * target)
            for name in [n for n in p if n.startswith('backbone.')]:
                p['teacher.' + name[len('backbone.'):]] = p[name].clone()
        self.to_device()

    def trains(self, name):
        return not name.startswith('teacher.')

    def trainable(self):
        # Sorted by name: the optimiser's state lists parameters in this order (see --resume).
        return {name: self.p[name] for name in sorted(self.p) if not name.startswith('teacher.')}

    def forward(self, images, order):
        """images [B, S, S, 3] in [0, 1] (NHWC), order [B, N] the patch orders. Returns the
        loss and its terms: mimLoss, and (with MFM) mfm0.. per level and their mean mfmLoss."""
        v, p = self.v, self.p
        heads = int(v['decoderHeads'])
        mask, keep = mask_from_order(order, float(v['maskRatio']))
        x = (images - MEAN.to(images.device)) / STD.to(images.device)
        batch, patch = images.shape[0], int(v['patchSize'])
        g = self.grid
        pixels = images.reshape(batch, g, patch, g, patch, 3).permute(0, 1, 3, 2, 4, 5).reshape(batch, g * g, -1)
        mean = pixels.mean(-1, keepdim=True)
        target = (pixels - mean) / (pixels.var(-1, unbiased=True, keepdim=True) + 1e-6).sqrt()

        stages, top = encoder(p, 'backbone.', v, x, keep)
        levels = pyramid_levels(p, v, stages, top)
        D = int(v['decoderWidth'])
        embedded = [linear(p, f'decoder.embed.{i}.linear.', layer_norm(p, f'decoder.embed.{i}.norm.', level)).reshape(-1, D)
                    for i, level in enumerate(levels)]
        h = on_grid(embedded[0], p['decoder.maskToken'], mask) + self.position
        for rows in embedded[1:]:
            h = h + on_grid(rows, p['decoder.maskToken'], mask)
        h = blocks(p, 'decoder.blocks.', h, heads)
        terms = {'mimLoss': masked_mse(linear(p, 'decoder.pred.', layer_norm(p, 'decoder.norm.', h)), target, mask)}
        loss = terms['mimLoss'] if v['mim'] else 0.0
        if v['mfm']:
            with torch.no_grad():
                teacher_stages, teacher_top = encoder(p, 'teacher.', v, x, None)
                n = teacher_top.shape[1]
                teacher_top = teacher_top.reshape(batch * n, 1, 1, -1)
                targets = [teacher_top, teacher_stages[1], teacher_stages[0]] if v['pyramid'] else [teacher_top]
                targets = [F.layer_norm(t, (t.shape[-1],), eps=1e-5).reshape(batch, n, -1) for t in targets]
            features = []
            for i, rows in enumerate(embedded):
                head = f'decoder.featureHeads.{i}.'
                y = block(p, head + 'block.', on_grid(rows, p[head + 'maskToken'], mask) + self.position, heads)
                features.append(masked_mse(linear(p, head + 'head.', layer_norm(p, head + 'norm.', y)), targets[i], mask))
                terms[f'mfm{i}'] = features[-1]
            terms['mfmLoss'] = sum(features) / len(features)
            loss = loss + terms['mfmLoss'] * float(v['mfmWeight'])
        return loss, terms

    def ema(self, momentum):
        self.ema_update(momentum, 'backbone.', 'teacher.')

# ----------------------------------------------------------------------------------------------
# Schedules and the optimiser.


def schedule(v, step, total_steps):
    peak = float(v['learningRate'])
    return {
        'learningRate': cosine_at(peak, peak * 0.01, total_steps, int(v['warmupSteps']), step),
        'teacherMomentum': cosine_at(float(v['teacherMomentum']), 1.0, total_steps, 0, step),
    }


def make_optimizer(model, v):
    """AdamW (torch's, the same update as the browser's), MAE's betas (0.9, 0.95), weight decay on rank >= 2 only."""
    return adamw(model.trainable(), float(v['weightDecay']), betas=(0.9, 0.95))


def train_step(model, optimizer, images, order, step, total_steps):
    s = schedule(model.v, step, total_steps)
    for group in optimizer.param_groups:
        group['lr'] = s['learningRate']
    loss, terms = model.forward(images, order)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(model)  # the masked mean has the same count on every process: the mean of the means
    optimizer.step()
    if model.momentum_encoder:
        model.ema(s['teacherMomentum'])
    else:
        del s['teacherMomentum']
    return loss.detach(), {**{k: t.detach() for k, t in terms.items()}, **s}

# ----------------------------------------------------------------------------------------------
# Data: the images themselves (the mask is the only augmentation, as in the app), and the loop's parts.


def transform(v, tensors):
    from torchvision import transforms as T
    size = int(v['imageSize'])
    return (lambda x: x) if tensors else T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor()])


def train(model, optimizer, images, device, step, global_batch, total_steps):
    images = images.to(device, non_blocking=True).permute(0, 2, 3, 1)
    patches = model.grid ** 2
    order = torch.argsort(torch.rand(images.shape[0], patches, device=device), 1)  # a uniform permutation per image
    loss, record = train_step(model, optimizer, images, order, step, total_steps)
    return {'loss': loss, **record}


def parity_step(model, optimizer, inputs, i, step):
    """Step i on the browser's images and patch orders."""
    loss, _record = train_step(model, optimizer, inputs['images'], inputs[f'views.{i}.order'], step, int(model.v['totalSteps']))
    return loss


def lr_note(v, global_batch):
    return f'peak lr {float(v["learningRate"]):.3g} (as the app: not scaled by the batch)'


if __name__ == '__main__':
    main(Recipe(Itpn, make_optimizer, transform, train, parity_step, lr_note), __doc__)
